#pragma once
// Helpers for the PMML tests: wrap a model element into a document, score rows by name.

#include <scorestream/error.hpp>
#include <scorestream/pmml/model.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace pmml_test {

inline std::string document(const std::string& dictionary, const std::string& body,
                            const std::string& version = "4.3") {
    std::string ns = version;
    for (auto& c : ns)
        if (c == '.') c = '_';
    return "<?xml version=\"1.0\"?>\n<PMML version=\"" + version + "\" xmlns=\"http://www.dmg.org/PMML-" +
           ns + "\">\n<Header/>\n<DataDictionary>\n" + dictionary + "</DataDictionary>\n" + body +
           "</PMML>\n";
}

/// Loads `text` and returns the message of the exception of type E it must throw (the test
/// fails on no exception or another type).
template <class E>
std::string load_error(const std::string& text) {
    try {
        scorestream::pmml::load(text);
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("wrong exception type: " << e.what());
    }
    FAIL("no exception");
    return {};
}

/// The message of the scorestream::error loading `text` throws, or "no error".
inline std::string error_text(const std::string& text) {
    try {
        scorestream::pmml::load(text);
    } catch (const scorestream::error& e) {
        return e.what();
    }
    return "no error";
}

/// A named input: a number, a string, or missing (name only).
struct In {
    std::string name;
    scorestream::Value value;
    In(std::string n, double x) : name(std::move(n)), value(scorestream::Value::number(x)) {}
    In(std::string n, const char* s) : name(std::move(n)), value(scorestream::Value::string(s)) {}
    explicit In(std::string n) : name(std::move(n)) {}
};

/// Scores one record given by field names (unknown names are ignored, absent inputs are missing).
inline scorestream::Prediction score(const scorestream::pmml::PmmlModel& m,
                                     std::initializer_list<In> inputs) {
    const auto& names = m.schema().inputs;
    std::vector<scorestream::Value> row(names.size());
    for (const auto& in : inputs)
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == in.name) row[i] = in.value;
    scorestream::Prediction p;
    m.score(scorestream::FeatureRow(row.data(), row.size()), p);
    return p;
}

inline std::size_t output_index(const scorestream::pmml::PmmlModel& m, const std::string& name) {
    const auto& outs = m.schema().outputs;
    for (std::size_t i = 0; i < outs.size(); ++i)
        if (outs[i] == name) return i;
    FAIL("no output named " << name);
    return 0;
}

inline double number_out(const scorestream::pmml::PmmlModel& m, const scorestream::Prediction& p,
                         const std::string& name) {
    const auto& v = p.outputs.at(output_index(m, name));
    INFO("output " << name << " = " << scorestream::to_string(v) << "; error: " << p.error);
    REQUIRE(v.is_number());
    return v.as_number();
}

/// Same kind, same bits of the number, same text.
inline bool same(const scorestream::Value& a, const scorestream::Value& b) {
    if (a.kind() != b.kind() || a.text() != b.text()) return false;
    double x = a.as_number(), y = b.as_number();
    return std::memcmp(&x, &y, sizeof x) == 0;
}

/// Requires that `a` (scored by `m` from `row`) and `b` give the same error, the same prediction
/// and, bit for bit, the same first `n` outputs; `a` has exactly `n`.
inline void require_same_result(const scorestream::pmml::PmmlModel& m,
                                const std::vector<scorestream::Value>& row, const scorestream::Prediction& a,
                                const scorestream::Prediction& b, std::size_t n) {
    using scorestream::to_string;
    std::string where;
    for (const auto& v : row) where += to_string(v) + " ";
    INFO("record " << where);
    REQUIRE(a.error == b.error);
    INFO("prediction " << to_string(a.value) << " / " << to_string(b.value));
    REQUIRE(same(a.value, b.value));
    REQUIRE(a.outputs.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        INFO("output " << m.schema().outputs[i] << ": " << to_string(a.outputs[i]) << " / "
                       << to_string(b.outputs[i]));
        REQUIRE(same(a.outputs[i], b.outputs[i]));
    }
}

/// The whole file at `path` ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

/// True when `dir` holds a conformance corpus (MANIFEST.tsv); otherwise warns that the test is
/// skipped.
inline bool have_corpus(const std::string& dir) {
    if (!dir.empty() && std::filesystem::exists(dir + "/MANIFEST.tsv")) return true;
    WARN("PMML conformance corpus not found: skipped");
    return false;
}

/// The cases of the conformance corpus in `dir` whose model types (the second column of
/// MANIFEST.tsv, e.g. "MiningModel:1;TreeModel:7") satisfy `keep`, in the manifest's order.
template <class Keep>
std::vector<std::string> corpus_cases(const std::string& dir, Keep keep) {
    std::ifstream manifest(dir + "/MANIFEST.tsv");
    std::string line;
    std::vector<std::string> cases;
    while (std::getline(manifest, line)) {
        auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        if (keep(line.substr(tab + 1, line.find('\t', tab + 1) - tab - 1)))
            cases.push_back(line.substr(0, tab));
    }
    return cases;
}

inline std::string text_out(const scorestream::pmml::PmmlModel& m, const scorestream::Prediction& p,
                            const std::string& name) {
    return scorestream::to_string(p.outputs.at(output_index(m, name)));
}

}  // namespace pmml_test
