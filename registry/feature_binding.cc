#include "registry/feature_binding.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/quoted_value.h"

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

absl::StatusOr<FeatureBinding> BindFeatureService(const Definitions& definitions,
                                                  absl::string_view service) {
  const FeatureService* found = definitions.FindService(service);
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown feature service ", QuotedValue(service),
                                            " (fsctl definitions list shows the services)"));
  }
  return BindFeatureService(*found);
}

absl::StatusOr<std::vector<std::string>> JoinKeysOf(const FeatureBinding& binding,
                                                    const Definitions& definitions) {
  std::set<std::string> keys;
  for (const std::string& name : binding.feature_names) {
    const size_t colon = name.find(':');
    if (colon == std::string::npos) continue;  // a request field
    const std::string view_name = name.substr(0, colon);
    const FeatureView* view = definitions.FindView(view_name);
    if (view == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("feature ", name, " of service ",
                                                        binding.service, ": view ", view_name,
                                                        " is no longer defined"));
    }
    for (const std::string& entity_name : view->entities) {
      const Entity* entity = definitions.FindEntity(entity_name);
      if (entity == nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat("view ", view_name, ": entity ", entity_name, " is no longer defined"));
      }
      keys.insert(entity->join_key);
    }
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

absl::Status CheckInputNames(const std::vector<std::string>& names, const FeatureBinding& binding) {
  if (names.empty()) return absl::OkStatus();
  const std::vector<std::string>& expected = binding.feature_names;
  if (names.size() != expected.size()) {
    return absl::FailedPreconditionError(absl::StrCat("the model names ", names.size(),
                                                      " inputs but feature service ",
                                                      binding.service, " binds ", expected.size()));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& want = expected[i];
    if (names[i] == want) continue;
    const size_t colon = want.find(':');
    if (colon != std::string::npos &&
        names[i] == absl::StrCat(want.substr(0, colon), "__", want.substr(colon + 1))) {
      continue;
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "the model's inputs do not match feature service ", binding.service, ": input ", i, " is '",
        names[i], "' but the service binds '", want,
        "' there (a model must be trained on the service's features in the service's order)"));
  }
  return absl::OkStatus();
}

}  // namespace fstore
