#pragma once
// ModelFactory and ModelRegistry: turn a ModelDescriptor (model as data) into a live Model.
// A registry maps model types ("pmml", or a custom factory's name) to factories; users register
// their own. Descriptors with a `location` are read through a ModelStore confined to a root folder.
// Thread-safety: a registry is filled at set-up time; build() and find() may then be called from any
// thread. add() must not race with them.

#include <scorestream/proto/model.pb.h>
#include <scorestream/error.hpp>
#include <scorestream/model/model.hpp>
#include <scorestream/model/model_store.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace scorestream {

using proto::ModelDescriptor;

class ModelFactory {
public:
    virtual ~ModelFactory() = default;

    /// The type this factory builds: "pmml", "onnx", or a custom name (ModelDescriptor.custom_type).
    virtual std::string type() const = 0;

    /// Builds a model from a descriptor whose content is `data` (the registry has already read any
    /// `location`). Throws a scorestream::error naming what is wrong when the model cannot be built.
    virtual ModelPtr create(const ModelDescriptor& descriptor) const = 0;

    /// Rebuilds a model from Model::to_bytes() and the identity it had (checkpoint restore).
    virtual ModelPtr restore(std::string_view bytes, const ModelIdentity& identity) const = 0;
};

/// The factory name a descriptor asks for: "pmml", "onnx", "tensorflow", or custom_type.
inline std::string factory_name(const ModelDescriptor& d) {
    switch (d.model_type()) {
        case proto::PMML:
            return "pmml";
        case proto::ONNX:
            return "onnx";
        case proto::TENSORFLOW:
            return "tensorflow";
        case proto::CUSTOM:
            return d.custom_type();
        default:
            return {};
    }
}

/// The identity a model built from `d` carries.
inline ModelIdentity identity_of(const ModelDescriptor& d) {
    ModelIdentity id;
    id.name = d.name();
    id.version = d.version();
    id.description = d.description();
    id.type = factory_name(d);
    id.data_type = d.data_type();
    id.created_at_ms = d.created_at_ms();
    return id;
}

class ModelRegistry {
public:
    ModelRegistry() = default;
    explicit ModelRegistry(ModelStore store) : store_(std::move(store)) {}

    /// Registers a factory under factory->type(); replaces one registered under the same type.
    void add(std::shared_ptr<const ModelFactory> factory) {
        if (!factory) throw invalid_value_error("ModelRegistry::add: null factory");
        auto type = factory->type();
        if (type.empty()) throw invalid_value_error("ModelRegistry::add: factory has an empty type name");
        factories_[type] = std::move(factory);
    }

    const ModelFactory* find(std::string_view type) const {
        auto it = factories_.find(std::string(type));
        return it == factories_.end() ? nullptr : it->second.get();
    }

    /// Where descriptors with a `location` are read from (none by default: locations are refused).
    void set_store(ModelStore store) { store_ = std::move(store); }
    const ModelStore& store() const noexcept { return store_; }

    /// Builds the model a descriptor describes. Throws model_error naming the descriptor and the
    /// reason when the descriptor is incomplete, its type is unknown, its location is refused or
    /// unreadable, or the factory fails.
    ModelPtr build(const ModelDescriptor& d) const {
        const std::string who = describe(d);
        if (d.data_type().empty()) throw model_error(who + ": data_type is empty");
        const std::string type = factory_name(d);
        if (type.empty())
            throw model_error(who + ": model_type is unspecified (or CUSTOM without custom_type)");
        const ModelFactory* f = find(type);
        if (!f) throw model_error(who + ": no factory registered for model type '" + type + "'");

        if (d.content_case() == ModelDescriptor::CONTENT_NOT_SET)
            throw model_error(who + ": descriptor has neither data nor location");
        try {
            if (d.content_case() == ModelDescriptor::kLocation) {
                ModelDescriptor with_data = d;
                with_data.set_data(store_.read(d.location()));
                return checked(f->create(with_data), who);
            }
            return checked(f->create(d), who);
        } catch (const model_error&) {
            throw;
        } catch (const std::exception& e) {
            throw model_error(who + ": " + e.what());
        }
    }

    /// "model 'name' version 'v' for data type 'dt'": how errors name a descriptor.
    static std::string describe(const ModelDescriptor& d) {
        return "model '" + d.name() + "' version '" + d.version() + "' for data type '" + d.data_type() + "'";
    }

private:
    static ModelPtr checked(ModelPtr m, const std::string& who) {
        if (!m) throw model_error(who + ": factory returned no model");
        return m;
    }

    std::map<std::string, std::shared_ptr<const ModelFactory>, std::less<>> factories_;
    ModelStore store_;
};

}  // namespace scorestream
