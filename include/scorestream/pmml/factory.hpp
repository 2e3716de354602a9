#pragma once
// PmmlFactory: builds PMML models from ModelDescriptors (model_type PMML, or custom_type "pmml"),
// so PMML documents arriving on the control stream become live models.
// Thread-safety: stateless; create() and restore() may be called from any thread.

#include <scorestream/model/factory.hpp>
#include <scorestream/pmml/model.hpp>

namespace scorestream::pmml {

class PmmlFactory final : public ModelFactory {
public:
    explicit PmmlFactory(LoadOptions defaults = {}) : defaults_(std::move(defaults)) {}

    std::string type() const override { return "pmml"; }
    /// Compiles descriptor.data() (the PMML text); the model carries identity_of(descriptor).
    ModelPtr create(const ModelDescriptor& descriptor) const override;
    ModelPtr restore(std::string_view bytes, const ModelIdentity& identity) const override;

private:
    LoadOptions defaults_;
};

/// Registers a PmmlFactory under "pmml".
void register_pmml(ModelRegistry& registry);

}  // namespace scorestream::pmml
