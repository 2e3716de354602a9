// Uses scorestream the way an application would: a custom model type registered in a registry,
// served on a pipeline whose control stream replaces it mid-stream.
#include <scorestream/scorestream.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {
struct constant_model final : scorestream::Model {
    scorestream::ModelIdentity id;
    scorestream::ModelSchema sch{{"x"}, "y", {}};
    double value = 0;
    const scorestream::ModelIdentity& identity() const noexcept override { return id; }
    const scorestream::ModelSchema& schema() const noexcept override { return sch; }
    std::string to_bytes() const override { return std::to_string(value); }
    void score(const scorestream::FeatureRow& row, scorestream::Prediction& out) const override {
        out.reset(0);
        out.value = scorestream::Value::number(value + row[0].as_number());
    }
};
struct constant_factory final : scorestream::ModelFactory {
    std::string type() const override { return "constant"; }
    scorestream::ModelPtr create(const scorestream::ModelDescriptor& d) const override {
        return restore(d.data(), scorestream::identity_of(d));
    }
    scorestream::ModelPtr restore(std::string_view bytes, const scorestream::ModelIdentity& id) const override {
        auto m = std::make_shared<constant_model>();
        m->id = id;
        m->value = std::stod(std::string(bytes));
        return m;
    }
};
struct point {
    double x = 0;
};
}  // namespace

template <>
struct scorestream::record_traits<point> : scorestream::struct_record<point> {
    static const field_table<point>& fields() {
        static const auto t = field_table<point>{}.add<&point::x>("x");
        return t;
    }
};

int main() {
    using namespace scorestream;
    ModelRegistry registry;
    registry.add(std::make_shared<constant_factory>());
    auto descriptor = [](const char* version, const char* value) {
        ModelDescriptor d;
        d.set_name("c");
        d.set_version(version);
        d.set_data_type("points");
        d.set_model_type(proto::CUSTOM);
        d.set_custom_type("constant");
        d.set_data(value);
        return d;
    };
    script<point, ModelDescriptor> s;
    s.control(descriptor("1", "100")).data({1}).control(descriptor("2", "200")).data({2});
    model_join_options o;
    o.data_type = "points";
    std::vector<std::string> got;
    auto p = s.data_source() | join(s.control_source(), registry, o) | score() | sink([&](const Scored<point>& r) {
                 got.push_back(r.model_version() + "=" + std::to_string(int(r.prediction.value.as_number())));
             });
    p.run();
    const bool ok = got == std::vector<std::string>{"1=101", "2=202"};
    std::printf("consumer: %s (%s, %s)%s\n", ok ? "ok" : "FAILED", got.size() > 0 ? got[0].c_str() : "-",
                got.size() > 1 ? got[1].c_str() : "-",
#ifdef CONSUMER_HAS_PMML
                " with pmml"
#else
                ""
#endif
    );
    return ok ? 0 : 1;
}
