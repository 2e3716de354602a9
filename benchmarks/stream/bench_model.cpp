#include "bench_model.hpp"

#include <sstream>
#include <vector>

namespace bench {
namespace {
using namespace scorestream;

class weighted_sum final : public Model {
public:
    weighted_sum(ModelIdentity id, std::string bytes) : id_(std::move(id)), bytes_(std::move(bytes)) {
        std::istringstream in(bytes_);
        in >> bias_;
        std::string name;
        double w = 0;
        while (in >> name >> w) {
            schema_.inputs.push_back(name);
            weights_.push_back(w);
        }
    }
    const ModelIdentity& identity() const noexcept override { return id_; }
    const ModelSchema& schema() const noexcept override { return schema_; }
    std::string to_bytes() const override { return bytes_; }
    void score(const FeatureRow& row, Prediction& out) const override {
        double s = bias_;
        for (std::size_t i = 0; i < weights_.size(); ++i) s += weights_[i] * row[i].as_number();
        out.value = Value::number(s);
    }

private:
    ModelIdentity id_;
    std::string bytes_;
    ModelSchema schema_;
    std::vector<double> weights_;
    double bias_ = 0;
};

class factory final : public ModelFactory {
public:
    std::string type() const override { return "weighted_sum"; }
    ModelPtr create(const ModelDescriptor& d) const override { return restore(d.data(), identity_of(d)); }
    ModelPtr restore(std::string_view bytes, const ModelIdentity& id) const override {
        return std::make_shared<weighted_sum>(id, std::string(bytes));
    }
};
}  // namespace

std::shared_ptr<const ModelFactory> weighted_sum_factory() { return std::make_shared<factory>(); }

ModelDescriptor weighted_sum_descriptor(const std::string& data_type) {
    ModelDescriptor d;
    d.set_name("quality");
    d.set_version("1");
    d.set_data_type(data_type);
    d.set_model_type(proto::CUSTOM);
    d.set_custom_type("weighted_sum");
    d.set_data("3 acidity -0.2 alcohol 0.35");
    return d;
}
}  // namespace bench
