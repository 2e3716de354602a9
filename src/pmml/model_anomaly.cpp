// AnomalyDetectionModel (PMML 4.4): an inner model whose result is turned into an anomaly score.
//
// iforest: the inner model (a MiningModel averaging isolation trees whose leaves score path
// lengths) yields the mean path length E(h(x)); the score is 2^(-E(h(x)) / c(n)) with n the
// sampleDataSize and c(n) = 2 H(n-1) - 2 (n-1) / n, H(i) = ln(i) + 0.5772156649 (the spec's
// estimate of the harmonic number; c(2) = 1). ocsvm and other: the inner model's value is the
// score as is. clusterMeanDist needs the distance to the nearest cluster, which the inner model's
// result does not carry: refused at load. The inner model runs through its own evaluator.

#include "compiler.hpp"
#include "float_math.hpp"

namespace scorestream::pmml::detail {
namespace {

class AnomalyDetectionModelImpl final : public CompiledModel {
public:
    enum class Algorithm : std::uint8_t { iforest, ocsvm, other };
    Algorithm algorithm = Algorithm::other;
    const CompiledModel* inner = nullptr;
    double c_n = 1.0;    ///< iforest: c(sampleDataSize)
    std::string detail;  ///< for describe(): "iforest, sampleDataSize 256"

    std::string summary() const override { return detail; }
    std::size_t memory_bytes() const override { return own_bytes(*this) + heap_bytes(detail); }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override {
        const ModelResult& ir = inner->run(ctx);
        double x;
        if (!as_double(ir.value, x)) return;  // no inner prediction: no score
        if (float_math) {
            // x-mathContext="float": the score 2^(-x / c(n)) with x and c(n) as floats, the quotient
            // in float and the power evaluated in double, rounded to float
            float xf = static_cast<float>(x);
            if (algorithm == Algorithm::iforest) xf = fm::pow(2.0f, -xf / static_cast<float>(c_n));
            r.value = Value::number(static_cast<double>(xf));
        } else if (algorithm == Algorithm::iforest) {
            r.value = Value::number(std::pow(2.0, -x / c_n));
        } else {
            r.value = Value::number(x);
        }
    }
};

/// c(n) of the isolation forest paper as the PMML 4.4 spec writes it (n >= 2).
double isolation_forest_c(double n) {
    if (n <= 2.0) return 1.0;
    constexpr double euler_gamma = 0.5772156649;
    return 2.0 * (std::log(n - 1.0) + euler_gamma) - 2.0 * (n - 1.0) / n;
}

}  // namespace

std::unique_ptr<CompiledModel> compile_anomaly_detection_model(ModelContext& mc) {
    auto m = std::make_unique<AnomalyDetectionModelImpl>();
    auto& c = mc.c;
    auto n = mc.node;
    c.init_model(*m, mc);
    if (m->classification())
        c.unsupported(n,
                      "AnomalyDetectionModel with functionName 'classification' is not supported (the "
                      "anomaly score is a regression result)");
    auto algo = c.required(n, "algorithmType");
    if (algo == "iforest")
        m->algorithm = AnomalyDetectionModelImpl::Algorithm::iforest;
    else if (algo == "ocsvm")
        m->algorithm = AnomalyDetectionModelImpl::Algorithm::ocsvm;
    else if (algo == "other")
        m->algorithm = AnomalyDetectionModelImpl::Algorithm::other;
    else if (algo == "clusterMeanDist")
        c.unsupported(n,
                      "algorithmType 'clusterMeanDist' is not supported (it needs the distance to the "
                      "nearest cluster center)");
    else
        c.invalid(n, "unknown algorithmType '" + std::string(algo) + "'");
    m->detail = std::string(algo);
    if (m->algorithm == AnomalyDetectionModelImpl::Algorithm::iforest) {
        if (!c.has_attr(n, "sampleDataSize"))
            c.parse_fail(n, "algorithmType 'iforest' needs the sampleDataSize attribute");
        long size = c.integer(n, "sampleDataSize", 0);
        if (size < 2) c.invalid(n, "sampleDataSize must be at least 2 for an isolation forest");
        m->c_n = isolation_forest_c(static_cast<double>(size));
        m->detail += ", sampleDataSize " + std::to_string(size);
    }
    pugi::xml_node inner;
    for (auto k : n.children()) {
        if (k.type() != pugi::node_element || !Compiler::is_model_element(Compiler::name_of(k))) continue;
        if (inner) c.parse_fail(k, "AnomalyDetectionModel holds more than one model");
        inner = k;
    }
    if (!inner) c.parse_fail(n, "AnomalyDetectionModel without an inner model");
    if (Compiler::name_of(inner) == "AnomalyDetectionModel")
        c.unsupported(inner, "an AnomalyDetectionModel inside an AnomalyDetectionModel is not supported");
    CompiledModel* im = c.model(inner, mc.scope, mc.depth + 1, false);
    if (im->classification())
        c.unsupported(inner, "the inner model of an AnomalyDetectionModel must be a regression model");
    m->inner = im;
    // The inner model's output fields are visible to this model's Output, as a segment's are.
    c.expose_outputs(*im, mc.scope);
    return m;
}

}  // namespace scorestream::pmml::detail
