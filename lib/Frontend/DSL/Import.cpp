//===- Import.cpp - DSL files to ImportedModel ----------------------------===//
//
// Part of Neurona.
//
//===----------------------------------------------------------------------===//
//
// Ties the stages together: parse the whole file, pick the model to import,
// emit every model (so that an error in any of them is reported, not skipped
// because another one was chosen) and build the training recipe.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "neurona/Frontend/DSL/DSLParser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona {

Expected<ImportedModel> importDSLSource(mlir::MLIRContext &context,
                                        StringRef source,
                                        StringRef bufferName) {
  dsl::SourceDiagnostics diags(source, bufferName);
  auto program = dsl::parseProgram(source, diags);
  if (!program)
    return program.takeError();

  if (program->models.empty())
    return diags.error(dsl::SourceLoc{source.begin(), 1, 1},
                       "the file defines no model; start one with "
                       "'model NAME { ... }'");
  llvm::StringMap<const dsl::ast::ModelDecl *> models;
  for (const dsl::ast::ModelDecl &model : program->models) {
    auto [it, inserted] = models.try_emplace(model.name, &model);
    if (!inserted)
      return diags.error(model.nameLoc,
                         "there is already a model named '" + model.name + "'",
                         it->second->nameLoc, "the first one is here");
  }

  const dsl::ast::TrainDecl *train = nullptr;
  if (!program->trains.empty()) {
    train = &program->trains.front();
    if (program->trains.size() > 1)
      return diags.error(program->trains[1].loc,
                         "several train sections are not supported yet",
                         train->loc, "the first one is here");
  }

  if (program->data.size() > 1)
    return diags.error(program->data[1].loc,
                       "several data sections are not supported yet",
                       program->data[0].loc, "the first one is here");
  const dsl::ast::TrainDecl *dataSection =
      program->data.empty() ? nullptr : &program->data.front();

  const dsl::ast::ModelDecl *selected = &program->models.front();
  if (train && !train->model.empty()) {
    auto it = models.find(train->model);
    if (it == models.end()) {
      llvm::SmallVector<StringRef> names;
      for (const dsl::ast::ModelDecl &model : program->models)
        names.push_back(model.name);
      return diags.error(train->modelLoc,
                         "the train section names unknown model '" +
                             train->model + "'" +
                             dsl::suggestClosest(train->model, names));
    }
    selected = it->second;
  }
  if (dataSection && !dataSection->model.empty() &&
      dataSection->model != selected->name)
    return diags.error(dataSection->modelLoc,
                       "the data section is for model '" +
                           dataSection->model + "', but model '" +
                           selected->name + "' is the one trained",
                       train ? train->loc : selected->nameLoc,
                       train ? "the train section is here"
                             : "the first model is here");
  data::DataSpec dataSpec;
  if (dataSection) {
    auto built = dsl::buildDataSpec(*dataSection, *selected,
                                    llvm::sys::path::parent_path(bufferName),
                                    diags);
    if (!built)
      return built.takeError();
    dataSpec = std::move(*built);
  }

  std::optional<ImportedModel> result;
  for (const dsl::ast::ModelDecl &model : program->models) {
    dsl::ModelEmitter emitter(context, model, diags);
    if (&model == selected && dataSpec.standardize)
      emitter.standardizeInput();
    if (Error err = emitter.emitBody())
      return err;
    TrainSpec spec;
    if (&model == selected && train) {
      auto built =
          dsl::buildTrainSpec(*train, model, emitter, diags);
      if (!built)
        return built.takeError();
      spec = std::move(*built);
    }
    auto imported = emitter.finish();
    if (!imported)
      return imported.takeError();
    if (&model == selected) {
      imported->train = std::move(spec);
      imported->data = dataSpec;
      result = std::move(*imported);
    }
  }
  return std::move(*result);
}

Expected<ImportedModel> importDSLFile(mlir::MLIRContext &context,
                                      StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        path + ": error: cannot read the file: " + buffer.getError().message());
  return importDSLSource(context, (*buffer)->getBuffer(), path);
}

} // namespace neurona
