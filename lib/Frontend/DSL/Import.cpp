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

#include "neurona/Dialect/NN/IR/NNOps.h"
#include "neurona/Frontend/DSL/DSLParser.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace neurona {

/// The models of `models` by name, for suggestions.
static llvm::SmallVector<StringRef>
modelNames(const llvm::StringMap<const dsl::ast::ModelDecl *> &models) {
  llvm::SmallVector<StringRef> names;
  for (const auto &entry : models)
    names.push_back(entry.getKey());
  llvm::sort(names);
  return names;
}

static std::string shapeText(mlir::Type type) {
  std::string text = "[";
  for (auto [i, dim] :
       llvm::enumerate(llvm::cast<mlir::RankedTensorType>(type).getShape()))
    text += (i ? ", " : "") + (mlir::ShapedType::isDynamic(dim)
                                   ? std::string("?")
                                   : std::to_string(dim));
  return text + "]";
}

/// A train section with `generator = G` and `discriminator = D`: a GAN,
/// the two models composed into one (GAN.cpp) and named after the section
/// (`train gan { ... }`; "gan" when it has no name).
static Expected<ImportedModel>
importGAN(mlir::MLIRContext &context, const dsl::ast::Program &program,
          const dsl::ast::TrainDecl &train,
          const dsl::ast::TrainDecl *dataSection,
          const llvm::StringMap<const dsl::ast::ModelDecl *> &models,
          StringRef bufferName, const dsl::SourceDiagnostics &diags) {
  const dsl::ast::TrainEntry *roles[2] = {nullptr, nullptr};
  const dsl::ast::ModelDecl *decls[2] = {nullptr, nullptr};
  const char *roleNames[2] = {"generator", "discriminator"};
  for (const dsl::ast::TrainEntry &e : train.entries)
    for (int r = 0; r < 2; ++r)
      if (e.key == roleNames[r] && !roles[r])
        roles[r] = &e;
  for (int r = 0; r < 2; ++r) {
    if (!roles[r])
      return diags.error(train.loc,
                         std::string("a GAN's train section needs both "
                                     "generator = MODEL and discriminator = "
                                     "MODEL; '") +
                             roleNames[r] + "' is missing");
    const dsl::ast::Expr &value = roles[r]->value;
    if (value.kind != dsl::ast::Expr::Kind::Identifier &&
        value.kind != dsl::ast::Expr::Kind::String)
      return diags.error(value.loc, std::string(roleNames[r]) +
                                        " names a model, as in " +
                                        roleNames[r] + " = MODEL");
    auto it = models.find(value.text);
    if (it == models.end())
      return diags.error(value.loc,
                         std::string("the ") + roleNames[r] +
                             " is unknown model '" + value.text + "'" +
                             dsl::suggestClosest(value.text,
                                                 modelNames(models)));
    decls[r] = it->second;
  }
  if (decls[0] == decls[1])
    return diags.error(roles[1]->value.loc,
                       "the generator and the discriminator must be two "
                       "models, not both '" +
                           decls[0]->name + "'");
  if (dataSection && !dataSection->model.empty() &&
      dataSection->model != decls[1]->name)
    return diags.error(dataSection->modelLoc,
                       "a GAN's data section feeds the discriminator '" +
                           decls[1]->name + "', not '" + dataSection->model +
                           "'",
                       roles[1]->value.loc, "the discriminator is named here");

  std::optional<ImportedModel> nets[2];
  TrainSpec spec;
  for (const dsl::ast::ModelDecl &model : program.models) {
    dsl::ModelEmitter emitter(context, model, diags);
    if (Error err = emitter.emitBody())
      return err;
    int role = &model == decls[0] ? 0 : &model == decls[1] ? 1 : -1;
    if (role >= 0 && emitter.getOutputs().size() != 1)
      return diags.error(emitter.getOutputs()[1].loc,
                         std::string("a GAN's ") + roleNames[role] +
                             " has one output; model '" + model.name +
                             "' has a second one here");
    if (role == 1) {
      auto built = dsl::buildTrainSpec(train, model, emitter, diags);
      if (!built)
        return built.takeError();
      spec = std::move(*built);
    }
    auto imported = emitter.finish();
    if (!imported)
      return imported.takeError();
    if (role >= 0)
      nets[role] = std::move(*imported);
  }

  // The recipe: binary cross-entropy on the discriminator's score, nothing
  // that needs a single network.
  auto entryOf = [&](StringRef key) -> const dsl::ast::TrainEntry * {
    for (const dsl::ast::TrainEntry &e : train.entries)
      if (e.key == key)
        return &e;
    return nullptr;
  };
  if (spec.loss != "binary_cross_entropy")
    return diags.error(entryOf("loss")->value.loc,
                       "a GAN's loss is binary_cross_entropy (the "
                       "discriminator's score of real and generated "
                       "samples), not " +
                           spec.loss);
  for (StringRef key : {"penalties", "activity", "kl", "kl_weight", "metrics"})
    if (const dsl::ast::TrainEntry *e = entryOf(key))
      return diags.error(e->keyLoc, "'" + key.str() +
                                        "' is not supported for GANs yet");
  if (spec.reduction != "mean")
    return diags.error(entryOf("loss")->value.loc,
                       "a GAN's losses are means over the batch; leave out "
                       "reduction=" + spec.reduction);

  auto forwardOf = [](ImportedModel &m) {
    return m.module->lookupSymbol<mlir::func::FuncOp>("forward");
  };
  mlir::func::FuncOp g = forwardOf(*nets[0]), d = forwardOf(*nets[1]);
  for (int r = 0; r < 2; ++r) {
    mlir::func::FuncOp f = r ? d : g;
    bool random = false;
    f.walk([&](mlir::nn::RandomOpInterface) { random = true; });
    if (random)
      return diags.error(decls[r]->nameLoc,
                         "random layers (dropout, gaussian_noise, gaussian) "
                         "in a GAN's models are not supported yet");
    // d_objective runs the discriminator twice, and each step would move
    // the statistics of the network it does not train.
    bool stateful = false;
    f.walk([&](mlir::nn::TrainingModeOpInterface) { stateful = true; });
    if (stateful)
      return diags.error(decls[r]->nameLoc,
                         "batch_norm in a GAN's models is not supported yet");
    auto in = llvm::cast<mlir::RankedTensorType>(f.getArgumentTypes()[0]);
    if (!in.getElementType().isF32())
      return diags.error(decls[r]->nameLoc,
                         std::string("a GAN's ") + roleNames[r] +
                             " takes float values, not integer ids");
  }
  if (g.getResultTypes()[0] != d.getArgumentTypes()[0])
    return diags.error(roles[0]->value.loc,
                       "generator '" + decls[0]->name + "' makes samples " +
                           shapeText(g.getResultTypes()[0]) +
                           ", but discriminator '" + decls[1]->name +
                           "' takes " + shapeText(d.getArgumentTypes()[0]),
                       decls[1]->nameLoc,
                       "the discriminator is defined here");
  auto score = llvm::cast<mlir::RankedTensorType>(d.getResultTypes()[0]);
  if (score.getRank() != 2 || score.getDimSize(1) != 1)
    return diags.error(roles[1]->value.loc,
                       "discriminator '" + decls[1]->name +
                           "' must score each sample with one value [?, 1], "
                           "but its output is " +
                           shapeText(score),
                       decls[1]->nameLoc, "the discriminator is defined here");
  if (d.getArgAttrOfType<mlir::StringAttr>(0, kNameAttrName).getValue() ==
      g.getArgAttrOfType<mlir::StringAttr>(0, kNameAttrName).getValue())
    return diags.error(decls[0]->nameLoc,
                       "the generator's and the discriminator's inputs must "
                       "have different names (both feed d_train_step)");

  spec.generator = decls[0]->name;
  spec.discriminator = decls[1]->name;
  data::DataSpec dataSpec;
  if (dataSection) {
    auto built = dsl::buildDataSpec(*dataSection, *decls[1],
                                    llvm::sys::path::parent_path(bufferName),
                                    diags);
    if (!built)
      return built.takeError();
    dataSpec = std::move(*built);
    if (dataSpec.standardize)
      return diags.error(dataSection->loc,
                         "standardize is not supported for GANs yet");
  }
  auto composed = dsl::composeGAN(train.model.empty() ? "gan" : train.model,
                                  *nets[0], *nets[1], spec);
  if (!composed)
    return composed.takeError();
  composed->train = std::move(spec);
  composed->data = std::move(dataSpec);
  return composed;
}

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

  if (train && llvm::any_of(train->entries, [](const dsl::ast::TrainEntry &e) {
        return e.key == "generator" || e.key == "discriminator";
      }))
    return importGAN(context, *program, *train, dataSection, models,
                     bufferName, diags);

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
