//===- neurona/Train/Interrupt.h - SIGINT/SIGTERM as a request --*- C++ -*-===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//
//
// Turns the first SIGINT or SIGTERM into a request to stop that long-running
// loops poll (TrainOptions::stop), so that an interrupted command can finish
// like a failed one: its outputs untouched, its last good state kept under a
// name of its own. Another signal a while later ends the process as usual.
//
//===----------------------------------------------------------------------===//

#ifndef NEURONA_TRAIN_INTERRUPT_H
#define NEURONA_TRAIN_INTERRUPT_H

#include <csignal>
#include <string>

namespace neurona::train {

/// While alive, SIGINT and SIGTERM set a flag instead of ending the process.
/// Repeats within kRepeatWindowSeconds of the first signal count as the same
/// request (timeout(1), for one, signals the process and then its group); a
/// later one ends the process with the signal's default action. The
/// destructor restores the handlers that were installed before. At most one
/// guard may be alive at a time.
class InterruptGuard {
public:
  static constexpr double kRepeatWindowSeconds = 1.0;

  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard &) = delete;
  InterruptGuard &operator=(const InterruptGuard &) = delete;

  /// Zero until a signal arrives, then its number. For TrainOptions::stop.
  static const volatile std::sig_atomic_t *flag();
  /// The signal received so far, or 0.
  static int received() { return int(*flag()); }

  /// What the handler does with `signal` (exposed for tests).
  static void handle(int signal);
  /// Clears the flag (for tests).
  static void reset();

private:
  struct sigaction previousInt {
  }, previousTerm{};
};

/// "SIGINT", "SIGTERM", or "signal N".
std::string signalName(int signal);

} // namespace neurona::train

#endif // NEURONA_TRAIN_INTERRUPT_H
