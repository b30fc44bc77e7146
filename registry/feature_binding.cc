#include "registry/feature_binding.h"

namespace fstore {

FeatureBinding BindFeatureService(const FeatureService& service) {
  FeatureBinding binding;
  binding.service = service.name;
  binding.service_version = ContentHash(service);
  binding.feature_names = service.features;
  for (const RequestField& field : service.request_fields) {
    binding.feature_names.push_back(field.name);
    binding.request_fields.push_back(field);
  }
  return binding;
}

}  // namespace fstore
