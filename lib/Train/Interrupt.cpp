//===- Interrupt.cpp - SIGINT/SIGTERM as a request to stop ----------------===//
//
// Part of the Neurona project.
//
//===----------------------------------------------------------------------===//

#include "neurona/Train/Interrupt.h"

#include <cassert>
#include <ctime>

using namespace neurona::train;

static volatile std::sig_atomic_t receivedSignal = 0;
/// When the first signal came (CLOCK_MONOTONIC), written before
/// receivedSignal and only by the handler (handlers do not nest: both
/// signals are blocked while one is handled).
static struct timespec firstSignalAt;
static bool guardAlive = false;

void InterruptGuard::handle(int signal) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (receivedSignal == 0) {
    firstSignalAt = now;
    receivedSignal = signal;
    return;
  }
  // Tools like timeout(1) send a signal to the process and again to its
  // group: repeats within a second are the same request. A later one ends
  // the process the usual way (delivered when the handler returns).
  double elapsed = double(now.tv_sec - firstSignalAt.tv_sec) +
                   double(now.tv_nsec - firstSignalAt.tv_nsec) * 1e-9;
  if (elapsed < kRepeatWindowSeconds)
    return;
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(signal, &fallback, nullptr);
  raise(signal);
}

void InterruptGuard::reset() { receivedSignal = 0; }

const volatile std::sig_atomic_t *InterruptGuard::flag() {
  return &receivedSignal;
}

InterruptGuard::InterruptGuard() {
  assert(!guardAlive && "one InterruptGuard at a time");
  guardAlive = true;
  receivedSignal = 0;
  struct sigaction action {};
  action.sa_handler = &InterruptGuard::handle;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  // SA_RESTART keeps reads and writes in progress from failing with EINTR.
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, &previousInt);
  sigaction(SIGTERM, &action, &previousTerm);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &previousInt, nullptr);
  sigaction(SIGTERM, &previousTerm, nullptr);
  guardAlive = false;
}

std::string neurona::train::signalName(int signal) {
  switch (signal) {
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  default:
    return "signal " + std::to_string(signal);
  }
}
