// fsctl train: builds a point-in-time training set from the store, trains
// an XGBoost model with stratified k-fold cross-validation (training/model_trainer.h)
// and registers it with everything the registry records.
//
//   1. The labels file holds the service's entity keys, a timestamp column
//      (ts), a label column (label: 0/1 or false/true) and the service's
//      request fields. Its rows go through GetHistoricalFeatures at a
//      snapshot (a new one unless --snapshot), so every feature is as of
//      each row's time, strictly before it.
//   2. The model's inputs are the service's binding (registry/
//      feature_binding.h): its features in order, then its request fields.
//      Each cell is read back as the typed value the store returned (a
//      request field as its declared type) and enters the model through the
//      rule serving uses (featurestore/model_input.h): nulls and STRING
//      values are missing (NaN), booleans 1/0 (training/training_set.h).
//   3. Cross-validation reports AUC, PR-AUC and logloss per fold and on
//      average, gain importance and risk thresholds; the final model trains
//      on every row.
//   4. The model is uploaded and registered as the next version of --model
//      with the snapshot, dataset fingerprint, params, metrics, feature
//      statistics and thresholds. With --gate (METRIC>=VALUE or
//      METRIC<=VALUE, repeatable) a model that does not exist yet is
//      created with that promotion gate; an existing model must already
//      have exactly that gate, else train stops before training and points
//      at fsctl models update (train never changes an existing gate).
// Progress (per fold, and per round on a terminal) goes to stderr unless
// --output=json. Same labels, snapshot and options give the same model
// bytes.
#ifndef FSTORE_CLIENT_TRAIN_COMMAND_H_
#define FSTORE_CLIENT_TRAIN_COMMAND_H_

#include "absl/status/status.h"
#include "client/invocation.h"

namespace fstore::cli {

absl::Status TrainCommand(Invocation& inv);

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_TRAIN_COMMAND_H_
