#include "comparison.hpp"

#include <string>

namespace scorestream::pmml::detail {

const char* measure_name(Measure m) noexcept {
    switch (m) {
        case Measure::euclidean:
            return "euclidean";
        case Measure::squared_euclidean:
            return "squaredEuclidean";
        case Measure::chebychev:
            return "chebychev";
        case Measure::city_block:
            return "cityBlock";
        case Measure::minkowski:
            return "minkowski";
        case Measure::simple_matching:
            return "simpleMatching";
        case Measure::jaccard:
            return "jaccard";
        case Measure::tanimoto:
            return "tanimoto";
        case Measure::binary_similarity:
            return "binarySimilarity";
    }
    return "";
}

Compare parse_compare(const Compiler& c, pugi::xml_node n, std::string_view s) {
    if (s == "absDiff") return Compare::abs_diff;
    if (s == "gaussSim") return Compare::gauss_sim;
    if (s == "delta") return Compare::delta;
    if (s == "equal") return Compare::equal;
    if (s == "table") return Compare::table;
    c.invalid(n, "unknown compareFunction '" + std::string(s) + "'");
}

ComparisonMeasure read_comparison_measure(const Compiler& c, pugi::xml_node cm) {
    ComparisonMeasure out;
    auto kind = c.required(cm, "kind");
    if (kind != "distance" && kind != "similarity") c.invalid(cm, "unknown kind '" + std::string(kind) + "'");
    pugi::xml_node m;
    for (auto k : cm.children())
        if (k.type() == pugi::node_element && Compiler::name_of(k) != "Extension") {
            m = k;
            break;
        }
    if (!m) c.parse_fail(cm, "ComparisonMeasure without a measure element");
    auto name = Compiler::name_of(m);
    if (name == "euclidean") {
        out.measure = Measure::euclidean;
    } else if (name == "squaredEuclidean") {
        out.measure = Measure::squared_euclidean;
    } else if (name == "chebychev") {
        out.measure = Measure::chebychev;
    } else if (name == "cityBlock") {
        out.measure = Measure::city_block;
    } else if (name == "minkowski") {
        out.measure = Measure::minkowski;
        out.p = c.required_number(m, "p-parameter");
        if (!(out.p > 0)) c.invalid(m, "p-parameter must be positive");
    } else if (name == "simpleMatching") {
        out.measure = Measure::simple_matching;
    } else if (name == "jaccard") {
        out.measure = Measure::jaccard;
    } else if (name == "tanimoto") {
        out.measure = Measure::tanimoto;
    } else if (name == "binarySimilarity") {
        out.measure = Measure::binary_similarity;
        static const char* cs[] = {"c00-parameter", "c01-parameter", "c10-parameter", "c11-parameter"};
        static const char* ds[] = {"d00-parameter", "d01-parameter", "d10-parameter", "d11-parameter"};
        for (int i = 0; i < 4; ++i) {
            out.c[i] = c.required_number(m, cs[i]);
            out.d[i] = c.required_number(m, ds[i]);
        }
    } else {
        c.invalid(m, "unknown comparison measure <" + std::string(name) + ">");
    }
    if ((kind == "similarity") != out.similarity())
        c.invalid(cm, "measure <" + std::string(name) + "> does not fit kind=\"" + std::string(kind) + "\"");
    if (c.has_attr(cm, "compareFunction")) out.compare = parse_compare(c, cm, c.attr(cm, "compareFunction"));
    if (out.compare == Compare::gauss_sim || out.compare == Compare::table)
        c.invalid(cm,
                  "compareFunction gaussSim and table need a field's own parameters (similarityScale, "
                  "Comparisons), which <ComparisonMeasure> cannot carry");
    return out;
}

}  // namespace scorestream::pmml::detail
