// The binding of a model to a feature service: the model's input columns, in
// order, are the service's features ("view:feature" refs, in the order the
// service lists them) followed by its request fields (in their order). The
// binding records the service's content version, so a model can tell when
// the service it was trained on has since changed. Training (fsctl train),
// registration (fsd) and serving all lay inputs out through this one rule.
#ifndef FSTORE_REGISTRY_FEATURE_BINDING_H_
#define FSTORE_REGISTRY_FEATURE_BINDING_H_

#include "featurestore/definitions.h"
#include "registry/model_registry.h"

namespace fstore {

FeatureBinding BindFeatureService(const FeatureService& service);

}  // namespace fstore

#endif  // FSTORE_REGISTRY_FEATURE_BINDING_H_
