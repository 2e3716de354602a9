// scorestream-pmml: score CSV files with a PMML model, describe or verify a model, measure its
// speed, and run a conformance corpus.

#include "conformance.hpp"
#include "csv.hpp"

#include <scorestream/error.hpp>
#include <scorestream/pmml/model.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

namespace {

using namespace scorestream;
using namespace scorestream::pmml;
using namespace scorestream::pmml::tools;

std::vector<std::string> markers_from(const std::string& marker) {
    std::vector<std::string> m = {"NA", "N/A"};
    if (!marker.empty()) m = {marker};
    return m;
}

int cmd_describe(const std::string& path) {
    auto model = load_file(path);
    const auto& d = model->describe();
    std::cout << "model:        " << d.model_kind << (d.model_name.empty() ? "" : " '" + d.model_name + "'")
              << "\n"
              << "function:     " << d.function << "\n"
              << "PMML version: " << d.pmml_version << "\n"
              << "producer:     " << (d.producer.empty() ? "-" : d.producer) << "\n";
    if (d.nested_models) std::cout << "nested models: " << d.nested_models << "\n";
    if (!d.details.empty()) std::cout << "structure:    " << d.details << "\n";
    std::cout << "plan:         " << d.plan << "\n";
    if (!d.group_field.empty())
        std::cout << "grouped by:   " << d.group_field << " (one record per group; items as a list)\n";
    std::cout << "inputs (" << d.inputs.size() << "):\n";
    for (const auto& f : d.inputs) {
        std::cout << "  " << f.name << "  " << f.optype << " " << f.data_type;
        if (!f.values.empty()) {
            std::cout << "  {";
            for (std::size_t i = 0; i < f.values.size() && i < 12; ++i)
                std::cout << (i ? ", " : "") << f.values[i];
            if (f.values.size() > 12) std::cout << ", ... (" << f.values.size() << ")";
            std::cout << "}";
        }
        std::cout << "\n";
    }
    std::cout << "target:       " << (d.target.empty() ? "-" : d.target);
    if (!d.target_categories.empty()) {
        std::cout << "  {";
        for (std::size_t i = 0; i < d.target_categories.size(); ++i)
            std::cout << (i ? ", " : "") << d.target_categories[i];
        std::cout << "}";
    }
    std::cout << "\noutputs (" << d.outputs.size() << "):\n";
    for (const auto& o : d.outputs)
        std::cout << "  " << o.name << "  " << o.feature << (o.data_type.empty() ? "" : " " + o.data_type)
                  << "\n";
    std::cout << "verification: " << (d.has_verification ? "present" : "none") << "\n"
              << "size:         " << d.text_bytes << " bytes of PMML, about " << d.compiled_bytes
              << " bytes compiled\n";
    return 0;
}

int cmd_verify(const std::string& path) {
    auto model = load_file(path);
    auto rep = model->verify();
    if (!rep.present) {
        std::cout << path << ": no ModelVerification block\n";
        return 0;
    }
    for (const auto& f : rep.unchecked)
        std::cout << "  note: VerificationField '" << f
                  << "' names neither an input nor a result; not checked\n";
    for (const auto& mm : rep.mismatches)
        std::cout << "  record " << mm.record << ": " << mm.field << ": expected "
                  << (mm.expected.empty() ? "missing" : mm.expected) << ", actual "
                  << (mm.actual.empty() ? "missing" : mm.actual) << " (precision " << mm.precision
                  << ", zeroThreshold " << mm.zero_threshold << ")\n";
    if (rep.declared_records != 0 && rep.declared_records != rep.records)
        std::cout << "  the block declares recordCount=" << rep.declared_records << " but holds "
                  << rep.records << " records\n";
    std::cout << path << ": verification " << (rep.ok() ? "passed" : "FAILED") << ": " << rep.passed << " of "
              << rep.records << " records match, " << rep.mismatches.size() << " mismatching value"
              << (rep.mismatches.size() == 1 ? "" : "s") << "\n";
    return rep.ok() ? 0 : 1;
}

struct Rows {
    CsvTable table;
    std::vector<int> cols;
    int group = -1;  ///< grouped input: the column holding each row's group key
};

Rows read_rows(const PmmlModel& model, const std::string& input,
               const std::vector<std::string>& markers = {"NA", "N/A"}) {
    Rows r{read_csv(input), {}};
    // A model reading grouped input (transactions) scores one record per group.
    const auto& group = model.describe().group_field;
    if (!group.empty()) {
        int g = r.table.column(group);
        if (g < 0)
            throw parse_error("input '" + input + "' has no column '" + group + "' to group records by");
        r.table = group_rows(r.table, g, markers);
        r.group = g;
    }
    // A field without a column is missing on every record: the document may allow that, but a
    // header that names none of the fields is the wrong file, and one that misses some is worth a
    // word before every record is scored without them.
    std::string absent;
    std::size_t found = 0;
    for (const auto& n : model.schema().inputs) {
        r.cols.push_back(r.table.column(n));
        if (r.cols.back() >= 0)
            ++found;
        else
            absent += (absent.empty() ? "'" : ", '") + n + "'";
    }
    if (found == 0 && !r.cols.empty())
        throw parse_error("input '" + input + "' has a column for none of the model's input fields (" +
                          absent + ")");
    if (!absent.empty())
        std::cerr << "scorestream-pmml: warning: input '" << input << "' has no column for " << absent
                  << ": missing on every record\n";
    return r;
}

/// Fills `row` with row i's cells of the model's columns, each through `value(cell)`.
template <class ToValue>
void fill_cells(const Rows& rows, std::size_t i, std::vector<Value>& row, ToValue value) {
    const std::vector<std::string>& cells = rows.table.rows[i];
    for (std::size_t k = 0; k < rows.cols.size(); ++k)
        row[k] = rows.cols[k] < 0 ? Value::missing() : value(cells[static_cast<std::size_t>(rows.cols[k])]);
}

/// Row i's cells as text (text_value: the model reads its numbers itself), what scoring CSV text
/// does.
void fill_row(const Rows& rows, std::size_t i, const Markers& markers, std::vector<Value>& row) {
    fill_cells(rows, i, row, [&](const std::string& cell) { return text_value(cell, markers); });
}

/// Row i typed: numbers as numbers (cell_value), what a caller holding typed records passes.
void fill_typed_row(const Rows& rows, std::size_t i, const std::vector<std::string>& markers,
                    std::vector<Value>& row) {
    fill_cells(rows, i, row, [&](const std::string& cell) { return cell_value(cell, markers); });
}

int cmd_score(const std::string& path, const std::string& input, const std::string& output,
              const std::string& marker) {
    auto model = load_file(path);
    auto markers = markers_from(marker);
    auto rows = read_rows(*model, input, markers);
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (!output.empty() && output != "-") {
        file.open(output, std::ios::binary);
        if (!file) throw io_error("cannot write '" + output + "'");
        out = &file;
    }
    const auto& schema = model->schema();
    bool has_target = !schema.target.empty();
    // Grouped input: each output row starts with its group key (transaction id).
    if (rows.group >= 0) *out << csv_cell(model->describe().group_field) << ",";
    *out << csv_cell(has_target ? schema.target : "prediction");
    for (const auto& o : schema.outputs) *out << "," << csv_cell(o);
    *out << ",error\n";
    std::vector<Value> row(schema.inputs.size());
    const Markers text_markers(markers);
    Prediction p;
    bool tty = isatty(STDERR_FILENO) != 0;
    auto start = std::chrono::steady_clock::now();
    auto last = start;
    std::size_t errors = 0, n = rows.table.rows.size();
    for (std::size_t i = 0; i < n; ++i) {
        fill_row(rows, i, text_markers, row);
        model->score(FeatureRow(row.data(), row.size()), p);
        if (rows.group >= 0)
            *out << csv_cell(rows.table.rows[i][static_cast<std::size_t>(rows.group)]) << ",";
        *out << csv_cell(value_text(p.value));
        for (const auto& v : p.outputs) *out << "," << csv_cell(value_text(v));
        *out << "," << csv_cell(p.error) << "\n";
        if (!p.ok()) ++errors;
        if (tty && (i & 1023) == 0) {
            auto now = std::chrono::steady_clock::now();
            if (now - start > std::chrono::seconds(1) && now - last > std::chrono::milliseconds(200)) {
                last = now;
                int pct = static_cast<int>(100.0 * static_cast<double>(i) / static_cast<double>(n));
                std::fprintf(stderr, "\r[%-50s] %3d%% %zu/%zu",
                             std::string(static_cast<std::size_t>(pct / 2), '#').c_str(), pct, i, n);
            }
        }
    }
    if (tty && std::chrono::steady_clock::now() - start > std::chrono::seconds(1)) std::fprintf(stderr, "\n");
    if (!*out) throw io_error("write failed");
    std::cerr << n << " records scored, " << errors << " with errors\n";
    return errors ? 2 : 0;
}

int cmd_bench(const std::string& path, const std::string& input, double seconds, std::size_t records,
              const std::string& only) {
    auto model = load_file(path);
    auto rows = read_rows(*model, input);
    auto markers = markers_from("");
    std::size_t n = rows.table.rows.size();
    if (n == 0) throw invalid_value_error("'" + input + "' has no rows");
    std::size_t width = model->schema().inputs.size();
    const Markers text_markers(markers);
    std::vector<Value> typed(n * width);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<Value> row(width);
        fill_typed_row(rows, i, markers, row);
        std::copy(row.begin(), row.end(), typed.begin() + static_cast<std::ptrdiff_t>(i * width));
    }
    Prediction p;
    if (records > 0) {
        // A fixed number of records on one path and no clock: for instruction counts (callgrind),
        // where the difference between two record counts leaves out loading.
        std::vector<Value> row(width);
        bool typed_rows = only == "typed";
        for (std::size_t k = 0; k < records; ++k) {
            std::size_t i = k % n;
            if (typed_rows) {
                model->score(FeatureRow(typed.data() + i * width, width), p);
            } else {
                fill_row(rows, i, text_markers, row);
                model->score(FeatureRow(row.data(), row.size()), p);
            }
        }
        std::printf("%s: %zu records scored (%s)\n", path.c_str(), records, only.c_str());
        return 0;
    }
    auto run = [&](auto&& one) {
        for (std::size_t i = 0; i < n; ++i) one(i);  // warm-up
        // Thread CPU time, so that other processes on a shared machine do not count.
        auto cpu_now = [] {
            timespec ts{};
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
        };
        std::size_t done = 0;
        double start = cpu_now(), elapsed = 0;
        do {
            for (std::size_t i = 0; i < n; ++i) one(i);
            done += n;
            elapsed = cpu_now() - start;
        } while (elapsed < seconds);
        return elapsed * 1e9 / static_cast<double>(done);
    };
    double typed_ns =
        run([&](std::size_t i) { model->score(FeatureRow(typed.data() + i * width, width), p); });
    std::vector<Value> row(width);
    double string_ns = run([&](std::size_t i) {
        fill_row(rows, i, text_markers, row);
        model->score(FeatureRow(row.data(), row.size()), p);
    });
    std::printf(
        "%s: %zu records\n  typed feature rows: %10.1f ns/record\n  from strings:       %10.1f ns/record\n",
        path.c_str(), n, typed_ns, string_ns);
    return 0;
}

/// A number option's check: `ok(value)` or the message (CLI11's own range checks print the whole
/// range of a double). A text that is no number passes here and fails the option's conversion.
CLI::Validator number_check(bool (*ok)(double), const std::string& need) {
    return CLI::Validator(
        [ok, need](std::string& text) -> std::string {
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || ok(v)) return {};
            return "must be " + need + ", not " + text;
        },
        "", "");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"scorestream-pmml: score, describe, verify and benchmark PMML models"};
    app.require_subcommand(1);

    const CLI::Validator positive = number_check([](double v) { return v > 0; }, "above zero");
    const CLI::Validator not_negative = number_check([](double v) { return v >= 0; }, "zero or more");

    std::string model_path, input, output, marker, dir, expect, only;
    double seconds = 1.0;
    double rel = -1, abs = -1;

    auto* score =
        app.add_subcommand("score", "score a CSV file (output columns: target, output fields, error)");
    score->add_option("--model,-m", model_path, "PMML file")->required()->check(CLI::ExistingFile);
    score->add_option("--input,-i", input, "input CSV with a header row")
        ->required()
        ->check(CLI::ExistingFile);
    score->add_option("--output,-o", output, "output CSV (default: standard output)");
    score->add_option("--missing", marker,
                      "the cell text that means missing (default: NA and N/A; empty always)");

    auto* describe = app.add_subcommand("describe", "print the model kind, inputs, target and outputs");
    describe->add_option("model", model_path, "PMML file")->required()->check(CLI::ExistingFile);

    auto* verify = app.add_subcommand("verify", "run the document's ModelVerification block");
    verify->add_option("model", model_path, "PMML file")->required()->check(CLI::ExistingFile);

    auto* bench = app.add_subcommand("bench", "measure ns/record on typed rows and from strings");
    bench->add_option("--model,-m", model_path, "PMML file")->required()->check(CLI::ExistingFile);
    bench->add_option("--input,-i", input, "input CSV")->required()->check(CLI::ExistingFile);
    bench->add_option("--seconds", seconds, "time per measurement (default 1)")->check(positive);
    std::size_t records = 0;
    std::string bench_path = "typed";
    auto* records_opt =
        bench
            ->add_option("--records", records,
                         "score exactly this many records on one path, untimed (for instruction counts)")
            ->check(positive);
    bench->add_option("--path", bench_path, "with --records: typed or strings (default typed)")
        ->check(CLI::IsMember({"typed", "strings"}))
        ->needs(records_opt);

    auto* conf = app.add_subcommand("conformance", "run a conformance corpus (MANIFEST.tsv layout)");
    bool skip_if_missing = false;
    conf->add_option("dir", dir, "corpus folder")->required();
    conf->add_flag("--skip-if-missing", skip_if_missing,
                   "exit with code 77 (skipped) when the corpus folder has no MANIFEST.tsv");
    conf->add_option("--expect", expect, "list of cases expected to pass or be skipped")
        ->check(CLI::ExistingFile);
    conf->add_option("--rel-tol", rel, "override every case's relative tolerance")->check(not_negative);
    conf->add_option("--abs-tol", abs, "override every case's absolute (zero) threshold")
        ->check(not_negative);
    conf->add_option("--only", only, "run only the cases whose name contains this text");
    std::string markdown;
    conf->add_option("--markdown", markdown, "also write the results as a Markdown table to this file");
    bool text_cells = false;
    conf->add_flag("--text-cells", text_cells,
                   "pass every input cell to the model as text (as from CSV text), not typed");

    // A first word that names no subcommand: say so (CLI11 would only ask for a subcommand).
    auto named = [&](const char* word) {
        for (const CLI::App* sub : app.get_subcommands({}))
            if (sub->get_name() == word) return true;
        return false;
    };
    if (argc > 1 && argv[1][0] != '-' && !named(argv[1])) {
        std::cerr
            << "scorestream-pmml: unknown subcommand '" << argv[1]
            << "' (score, describe, verify, bench or conformance)\nRun with --help for more information.\n";
        return 2;
    }
    CLI11_PARSE(app, argc, argv);
    try {
        if (*score) return cmd_score(model_path, input, output, marker);
        if (*describe) return cmd_describe(model_path);
        if (*verify) return cmd_verify(model_path);
        if (*bench) return cmd_bench(model_path, input, seconds, records, bench_path);
        if (*conf) {
            if (!std::ifstream(dir + "/MANIFEST.tsv")) {
                std::cout << "pmml-conformance: no corpus at '" << dir << "' (no MANIFEST.tsv)"
                          << (skip_if_missing ? ": skipped\n" : "\n");
                return skip_if_missing ? 77 : 1;
            }
            ConformanceOptions o;
            o.dir = dir;
            o.expect_file = expect;
            o.only = only;
            o.markdown = markdown;
            o.text_cells = text_cells;
            if (rel >= 0) o.rel_tol = rel;
            if (abs >= 0) o.abs_tol = abs;
            auto s = run_conformance(o, std::cout);
            return s.failed ? 1 : 0;
        }
    } catch (const scorestream::error& e) {
        std::cerr << "scorestream-pmml: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "scorestream-pmml: unexpected error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
