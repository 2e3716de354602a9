#include "conformance.hpp"

#include "csv.hpp"

#include <scorestream/error.hpp>
#include <scorestream/pmml/model.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <vector>

namespace scorestream::pmml::tools {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    out.push_back(cur);
    return out;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error("cannot open '" + path + "'");
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

/// The corpus README's `quirk` rewrite. SAS Enterprise Miner writes <Constant>FMTWIDTH</Constant>
/// where the function parameter FMTWIDTH is meant; the rewrite turns it into <FieldRef field="FMTWIDTH"/>.
/// The README names the function SAS-EM-String-Normalize; the Audit documents have the same
/// pattern in SAS-FORMAT-$CHARw, which SAS-EM-String-Normalize is applied to, so the rewrite covers
/// the body of every DefineFunction that declares a FMTWIDTH parameter.
std::string apply_sas_quirk(std::string text) {
    const std::string from = "<Constant>FMTWIDTH</Constant>";
    const std::string to = "<FieldRef field=\"FMTWIDTH\"/>";
    std::size_t pos = 0;
    while ((pos = text.find("<DefineFunction", pos)) != std::string::npos) {
        auto end = text.find("</DefineFunction>", pos);
        if (end == std::string::npos) break;
        if (text.substr(pos, end - pos).find("<ParameterField name=\"FMTWIDTH\"") != std::string::npos) {
            for (auto at = text.find(from, pos); at != std::string::npos && at < end;
                 at = text.find(from, at)) {
                text.replace(at, from.size(), to);
                end = end - from.size() + to.size();
                at += to.size();
            }
        }
        pos = end;
    }
    return text;
}

bool is_missing_cell(const std::string& s) { return s.empty() || s == "NA" || s == "N/A"; }

bool parse_number(const std::string& s, double& x) {
    Value v = cell_value(s, {});
    if (!v.is_number()) return false;
    x = v.as_number();
    return true;
}

struct Expectation {
    bool skip = false;
    std::string reason;
};

}  // namespace

ConformanceSummary run_conformance(const ConformanceOptions& opt, std::ostream& out) {
    ConformanceSummary sum;
    std::map<std::string, Expectation> expected_list;
    bool have_list = !opt.expect_file.empty();
    if (have_list) {
        std::istringstream in(read_text(opt.expect_file));
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream ls(line);
            std::string name, verdict;
            ls >> name >> verdict;
            if (name.empty()) continue;
            Expectation e;
            e.skip = verdict == "skip";
            if (!e.skip && verdict != "pass")
                throw parse_error("expectation list '" + opt.expect_file + "': bad verdict '" + verdict +
                                  "' for " + name);
            std::getline(ls, e.reason);
            auto b = e.reason.find_first_not_of(' ');
            e.reason = b == std::string::npos ? "" : e.reason.substr(b);
            expected_list[name] = e;
        }
    }

    auto manifest_text = read_text(opt.dir + "/MANIFEST.tsv");
    std::istringstream mi(manifest_text);
    std::string line;
    std::getline(mi, line);
    auto head = split(line, '\t');
    auto col = [&](const char* name) {
        for (std::size_t i = 0; i < head.size(); ++i)
            if (head[i] == name) return static_cast<int>(i);
        throw parse_error(std::string("MANIFEST.tsv has no column '") + name + "'");
    };
    int c_case = col("case"), c_rel = col("rel_tol"), c_abs = col("abs_tol"), c_excl = col("exclude_columns"),
        c_status = col("status"), c_types = col("model_types");
    struct Row {
        std::string name, types, result, detail;
    };
    std::vector<Row> table;
    auto note = [&](const std::string& n, const std::string& types, const std::string& result,
                    const std::string& detail) {
        table.push_back({n, types, result, detail});
    };

    while (std::getline(mi, line)) {
        if (line.empty()) continue;
        auto f = split(line, '\t');
        if (f.size() < head.size()) f.resize(head.size());
        const std::string name = f[static_cast<std::size_t>(c_case)];
        if (!opt.only.empty() && name.find(opt.only) == std::string::npos) continue;
        const std::string status = f[static_cast<std::size_t>(c_status)];
        auto ex = expected_list.find(name);
        if (have_list && ex != expected_list.end() && ex->second.skip) {
            ++sum.skipped;
            out << "skip " << name << ": " << ex->second.reason << "\n";
            note(name, f[static_cast<std::size_t>(c_types)], "skipped", ex->second.reason);
            continue;
        }
        double rel = opt.rel_tol ? *opt.rel_tol : std::stod(f[static_cast<std::size_t>(c_rel)]);
        double abs = opt.abs_tol ? *opt.abs_tol : std::stod(f[static_cast<std::size_t>(c_abs)]);
        std::vector<std::string> excluded;
        if (!f[static_cast<std::size_t>(c_excl)].empty())
            excluded = split(f[static_cast<std::size_t>(c_excl)], '|');

        const std::string base = opt.dir + "/" + name;
        PmmlModelPtr model;
        try {
            std::string text = read_text(base + "/model.pmml");
            if (status == "quirk") text = apply_sas_quirk(std::move(text));
            LoadOptions lo;
            lo.identity.name = name;
            model = load(text, lo);
        } catch (const unsupported_error& e) {
            if (have_list) {
                ++sum.failed;
                out << "FAIL " << name << ": listed as pass but unsupported: " << e.what() << "\n";
                note(name, f[static_cast<std::size_t>(c_types)], "FAIL", e.what());
            } else {
                ++sum.skipped;
                out << "skip " << name << ": " << e.what() << "\n";
                note(name, f[static_cast<std::size_t>(c_types)], "skipped", e.what());
            }
            continue;
        } catch (const std::exception& e) {
            ++sum.failed;
            out << "FAIL " << name << ": load error: " << e.what() << "\n";
            note(name, f[static_cast<std::size_t>(c_types)], "FAIL", e.what());
            continue;
        }
        try {
            CsvTable input = read_csv(base + "/input.csv");
            CsvTable expected = read_csv(base + "/expected.csv");
            const auto& schema = model->schema();
            const std::vector<std::string> markers = {"NA", "N/A"};
            // Grouped input (status grouped-input): one record per group, in order of first
            // appearance, as the model's group field says.
            if (const auto& group = model->describe().group_field; !group.empty()) {
                int g = input.column(group);
                if (g < 0) throw parse_error("input.csv has no column '" + group + "' to group records by");
                input = group_rows(input, g, markers);
            }
            // Which expected columns to compare, and against what: -1 = target, >= 0 = output index.
            std::vector<std::pair<int, int>> compare;  // (expected column, source)
            std::string problem;
            auto output_index = [&](const std::string& n) {
                for (std::size_t i = 0; i < schema.outputs.size(); ++i)
                    if (schema.outputs[i] == n) return static_cast<int>(i);
                return -2;
            };
            for (std::size_t j = 0; j < expected.header.size(); ++j) {
                const std::string& h = expected.header[j];
                bool skip_col = false;
                for (const auto& e : excluded) skip_col = skip_col || e == h;
                if (skip_col) continue;
                if (status == "quirk") {
                    // README: compare EM_CLASSIFICATION with the target, EM_EVENTPROBABILITY with
                    // P_<target>1 (Audit) and U_<target> with the output of that name (Iris).
                    if (h == "EM_CLASSIFICATION")
                        compare.emplace_back(static_cast<int>(j), -1);
                    else if (h == "EM_EVENTPROBABILITY" && output_index("P_" + schema.target + "1") >= 0)
                        compare.emplace_back(static_cast<int>(j), output_index("P_" + schema.target + "1"));
                    else if (h == "U_" + schema.target && output_index(h) >= 0 &&
                             output_index("P_" + schema.target + "1") < 0)
                        compare.emplace_back(static_cast<int>(j), output_index(h));
                    continue;
                }
                if (h == schema.target)
                    compare.emplace_back(static_cast<int>(j), -1);
                else if (output_index(h) >= 0)
                    compare.emplace_back(static_cast<int>(j), output_index(h));
                else
                    problem = "expected column '" + h + "' is neither the target nor an output field";
            }
            if (!problem.empty()) throw parse_error(problem);
            if (input.rows.size() != expected.rows.size())
                throw parse_error("input has " + std::to_string(input.rows.size()) + " rows, expected has " +
                                  std::to_string(expected.rows.size()));
            std::vector<int> in_cols;
            for (const auto& n : schema.inputs) in_cols.push_back(input.column(n));
            std::vector<Value> row(schema.inputs.size());
            Prediction p;
            std::string mismatch;
            for (std::size_t r = 0; r < input.rows.size() && mismatch.empty(); ++r) {
                for (std::size_t i = 0; i < in_cols.size(); ++i) {
                    if (in_cols[i] < 0) {
                        row[i] = Value::missing();
                        continue;
                    }
                    const std::string& cell = input.rows[r][static_cast<std::size_t>(in_cols[i])];
                    row[i] = opt.text_cells ? text_value(cell, markers) : cell_value(cell, markers);
                }
                model->score(FeatureRow(row.data(), row.size()), p);
                if (!p.ok()) {
                    mismatch = "row " + std::to_string(r + 1) + ": error: " + p.error;
                    break;
                }
                for (auto [j, src] : compare) {
                    const std::string& e = expected.rows[r][static_cast<std::size_t>(j)];
                    const Value& a = src == -1 ? p.value : p.outputs[static_cast<std::size_t>(src)];
                    bool ok;
                    if (is_missing_cell(e)) {
                        ok = a.is_missing();
                    } else if (a.is_missing()) {
                        ok = false;
                    } else if (a.is_number()) {
                        double x;
                        if (parse_number(e, x)) {
                            double y = a.as_number();
                            ok = (std::fabs(x) <= abs && std::fabs(y) <= abs) ||
                                 std::fabs(y - x) <= rel * std::fabs(x);
                        } else {
                            ok = a.text() == e;
                        }
                    } else {
                        ok = a.text() == e;
                    }
                    if (!ok) {
                        mismatch = "row " + std::to_string(r + 1) + " column '" +
                                   expected.header[static_cast<std::size_t>(j)] + "': expected " + e +
                                   ", got " + (a.is_missing() ? std::string("<missing>") : value_text(a));
                        break;
                    }
                }
            }
            if (mismatch.empty()) {
                ++sum.passed;
                out << "pass " << name << " (" << input.rows.size() << " rows, " << compare.size()
                    << " columns, rel_tol " << rel << ")\n";
                std::ostringstream d;
                d << input.rows.size() << " rows x " << compare.size() << " columns, rel_tol " << rel;
                note(name, f[static_cast<std::size_t>(c_types)], "pass", d.str());
            } else {
                ++sum.failed;
                out << "FAIL " << name << ": " << mismatch << "\n";
                note(name, f[static_cast<std::size_t>(c_types)], "FAIL", mismatch);
            }
        } catch (const std::exception& e) {
            ++sum.failed;
            out << "FAIL " << name << ": " << e.what() << "\n";
            note(name, f[static_cast<std::size_t>(c_types)], "FAIL", e.what());
        }
    }
    if (!opt.markdown.empty()) {
        std::ofstream md(opt.markdown);
        if (!md) throw io_error("cannot write '" + opt.markdown + "'");
        md << "| case | model elements | result | detail |\n| --- | --- | --- | --- |\n";
        for (const auto& r : table) {
            std::string types = r.types, detail = r.detail;
            for (auto& ch : types)
                if (ch == ';') ch = ' ';
            for (auto& ch : detail)
                if (ch == '|') ch = '/';
            md << "| " << r.name << " | " << types << " | " << r.result << " | " << detail << " |\n";
        }
        md << "\npmml-conformance: " << sum.passed << " passed, " << sum.failed << " failed, " << sum.skipped
           << " skipped\n";
    }
    out << "pmml-conformance: " << sum.passed << " passed, " << sum.failed << " failed, " << sum.skipped
        << " skipped\n";
    return sum;
}

}  // namespace scorestream::pmml::tools
