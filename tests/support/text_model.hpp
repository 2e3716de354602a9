#pragma once
// For test model types whose bytes are their text form (the linear and scripted models): one factory
// and one descriptor builder instead of a copy per model type.

#include <scorestream/model/factory.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace scorestream::testing {

/// The factory of a Model type M constructible from (identity, text), registered under `type`.
template <class M>
class text_model_factory : public ModelFactory {
public:
    explicit text_model_factory(std::string type) : type_(std::move(type)) {}
    std::string type() const override { return type_; }
    ModelPtr create(const ModelDescriptor& d) const override {
        return std::make_shared<M>(identity_of(d), d.data());
    }
    ModelPtr restore(std::string_view bytes, const ModelIdentity& id) const override {
        return std::make_shared<M>(id, std::string(bytes));
    }

private:
    std::string type_;
};

/// A CUSTOM descriptor of factory `custom_type` carrying `text` as the model's bytes.
inline ModelDescriptor custom_descriptor(std::string custom_type, std::string data_type, std::string name,
                                         std::string version, std::string text) {
    ModelDescriptor d;
    d.set_name(std::move(name));
    d.set_version(std::move(version));
    d.set_data_type(std::move(data_type));
    d.set_model_type(proto::CUSTOM);
    d.set_custom_type(std::move(custom_type));
    d.set_data(std::move(text));
    return d;
}

}  // namespace scorestream::testing
