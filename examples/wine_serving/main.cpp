// wine_serving: the flagship example. A stream of wine samples is read from a CSV file and scored
// by PMML models that the example retrains on recent data and publishes into a watched model
// directory while the stream flows. The data drifts; the models follow it; no record waits.
//
//     data/wine.csv  --csv_source-->  join(models) --> score() --> report + out/scored.csv
//     models/wine/quality@<version>.pmml  --model_directory_source-->  (control stream)
//
// Usage: wine_serving [--records N] [--retrain-every N] [--drift-every N] [--workdir DIR]
#include "wine_data.hpp"

#include <scorestream/io/csv.hpp>
#include <scorestream/io/model_directory.hpp>
#include <scorestream/pmml/pmml.hpp>
#include <scorestream/scorestream.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace scorestream;

namespace {

struct options {
    std::size_t records = 12000;
    std::size_t retrain_every = 2000;
    std::size_t drift_every = 4000;
    std::size_t window = 1500;
    fs::path workdir = fs::temp_directory_path() / "scorestream-wine-demo";
};

bool parse(int argc, char** argv, options& o) {
    auto count = [](const char* flag, const char* text, std::size_t& out) {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(text, &end, 10);
        if (!*text || *end || v == 0) {
            std::cerr << "wine_serving: " << flag << " needs a positive whole number, not '" << text << "'\n";
            return false;
        }
        out = static_cast<std::size_t>(v);
        return true;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << "usage: wine_serving [--records N] [--retrain-every N] [--drift-every N] [--workdir "
                         "DIR]\n";
            std::exit(0);
        }
        if (i + 1 >= argc) {
            std::cerr << "wine_serving: unknown or incomplete argument '" << a << "' (see --help)\n";
            return false;
        }
        const char* v = argv[++i];
        if (a == "--records") {
            if (!count("--records", v, o.records)) return false;
        } else if (a == "--retrain-every") {
            if (!count("--retrain-every", v, o.retrain_every)) return false;
        } else if (a == "--drift-every") {
            if (!count("--drift-every", v, o.drift_every)) return false;
        } else if (a == "--workdir") {
            o.workdir = v;
        } else {
            std::cerr << "wine_serving: unknown argument '" << a << "' (see --help)\n";
            return false;
        }
    }
    o.window = std::min(o.window, o.retrain_every);
    return true;
}

// Writes a file so that a watcher never sees it half-written: write a temporary, then rename.
void publish(const fs::path& path, const std::string& bytes) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << bytes;
        if (!out) throw io_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, path);
}

void write_data(const fs::path& csv, std::size_t records, std::size_t drift_every) {
    std::ofstream out(csv);
    out << "id";
    for (const auto& f : wine::feature_names()) out << ',' << f;
    out << ",quality\n";
    wine::generator gen(42, drift_every);
    char buf[32];
    for (std::size_t i = 0; i < records; ++i) {
        const auto s = gen.next();
        out << i;
        for (double x : s.features) {
            std::snprintf(buf, sizeof buf, "%.6g", x);
            out << ',' << buf;
        }
        std::snprintf(buf, sizeof buf, "%.4f", s.quality);
        out << ',' << buf << '\n';
    }
    if (!out) throw io_error("cannot write " + csv.string());
}

struct version_report {
    std::size_t first_record = 0;
    std::size_t records = 0;
    double abs_error = 0;
};

}  // namespace

int main(int argc, char** argv) try {
    options opt;
    if (!parse(argc, argv, opt)) return 2;

    const fs::path data_dir = opt.workdir / "data";
    const fs::path model_root = opt.workdir / "models";
    const fs::path model_dir = model_root / "wine";
    const fs::path out_dir = opt.workdir / "out";
    fs::remove_all(opt.workdir);
    for (const auto& d : {data_dir, model_dir, out_dir}) fs::create_directories(d);

    // 1. The data: a drifting stream, written to CSV as an upstream system would.
    const fs::path csv = data_dir / "wine.csv";
    write_data(csv, opt.records, opt.drift_every);

    // 2. The first model, trained on historical samples from before the stream starts.
    {
        wine::generator history(7, opt.drift_every * 1000);  // one regime: the first taste
        std::vector<wine::sample> past(1000);
        for (auto& s : past) s = history.next();
        publish(model_dir / "quality@1.pmml", wine::train_pmml(past, "quality", "1"));
    }
    std::printf(
        "scorestream wine_serving\n  data   %s (%zu records, taste drifts every %zu)\n  models %s\n\n",
        csv.string().c_str(), opt.records, opt.drift_every, model_dir.string().c_str());

    // 3. The pipeline: CSV records joined with the models of the watched directory, scored.
    ModelRegistry registry;
    pmml::register_pmml(registry);

    io::model_directory_options mo;
    mo.interval = std::chrono::milliseconds(0);  // scan whenever the clock is consulted,
    mo.check_every = 128;                        // which is every 128 polls of the control stream
    io::csv_options co;
    co.data_type = "wine";

    io::scored_csv_options so;
    so.record_columns = {"id", "quality"};
    io::scored_csv_sink<io::row> scored_out(out_dir / "scored.csv", so);

    const auto& names = wine::feature_names();
    std::vector<wine::sample> window;
    std::map<std::string, version_report> by_version;
    std::vector<std::string> version_order;
    std::string serving;
    std::size_t seen = 0;

    auto on_result = [&](const Scored<io::row>& r) {
        scored_out.write(r);
        const std::size_t id = seen++;
        const double actual = r.record.get("quality").as_number();
        if (r.ok()) {
            if (r.model_version() != serving) {
                serving = r.model_version();
                std::printf("record %6zu  now serving quality@%s\n", id, serving.c_str());
                version_order.push_back(serving);
                by_version[serving].first_record = id;
            }
            auto& v = by_version[serving];
            ++v.records;
            v.abs_error += std::abs(r.prediction.value.as_number() - actual);
        }
        // Keep a window of recent labelled samples for the next retraining.
        wine::sample s;
        s.quality = actual;
        for (const auto& n : names) s.features.push_back(r.record.get(n).as_number());
        window.push_back(std::move(s));
        if (window.size() > opt.window) window.erase(window.begin());
    };

    auto pipeline = io::csv_source(csv, co) | join(io::model_directory_source(model_root, mo), registry) |
                    score() | sink(on_result);
    std::size_t rejected = 0;
    pipeline.on_error([&](error_kind kind, const record_error& e) {
        if (kind == error_kind::rejected_update) ++rejected;
        std::printf("               %s: %s\n", to_string(kind), e.to_string().c_str());
    });

    // 4. The caller's own loop: bounded steps; retrain and publish between them.
    int next_version = 2;
    std::size_t next_retrain = opt.retrain_every;
    std::size_t next_drift = opt.drift_every;
    while (!pipeline.done()) {
        pipeline.poll(100);
        while (seen >= next_drift && next_drift < opt.records) {
            std::printf("record %6zu  the data drifts: a new taste from here on\n", next_drift);
            next_drift += opt.drift_every;
        }
        if (seen >= next_retrain && seen < opt.records) {
            next_retrain += opt.retrain_every;
            const std::string v = std::to_string(next_version++);
            if (next_version == 4) {
                // A broken update, as a faulty publisher might send: it is rejected, the serving
                // model stays.
                publish(model_dir / "quality@broken.pmml", "<PMML version=\"4.4\"><RegressionModel>");
                std::printf("record %6zu  published a truncated document as quality@broken.pmml\n", seen);
            }
            publish(model_dir / ("quality@" + v + ".pmml"), wine::train_pmml(window, "quality", v));
            std::printf("record %6zu  retrained on the last %zu records, published quality@%s\n", seen,
                        window.size(), v.c_str());
        }
    }

    // 5. The report.
    const auto& counters = pipeline.counters();
    const data_type_stats* st = pipeline.stats().find("wine");
    std::printf("\n%-9s %8s %8s %14s %10s %10s %10s\n", "model", "from", "records", "mean |error|", "mean ns",
                "p50 ns", "p99 ns");
    std::size_t scored = 0, failed = 0;
    for (const auto& v : version_order) {
        const auto& rep = by_version[v];
        scored += rep.records;
        const model_stats* ms = nullptr;
        if (st)
            for (const auto& m : st->models)
                if (m.version == v) ms = &m;
        std::printf("quality@%-1s %8zu %8zu %14.4f %10.0f %10llu %10llu\n", v.c_str(), rep.first_record,
                    rep.records, rep.records ? rep.abs_error / double(rep.records) : 0.0,
                    ms ? ms->mean_ns() : 0.0, ms ? (unsigned long long)ms->latency.quantile(0.5) : 0ull,
                    ms ? (unsigned long long)ms->latency.quantile(0.99) : 0ull);
        if (ms) failed += ms->failures;
    }
    const std::uint64_t unscored = st ? st->unscored : 0;
    std::printf("\n%llu records: %zu scored, %llu unscored, %zu failed; %zu update%s rejected\n",
                (unsigned long long)counters.records_in, scored, (unsigned long long)unscored, failed,
                rejected, rejected == 1 ? "" : "s");
    if (st && !st->last_error.empty()) std::printf("last error: %s\n", st->last_error.c_str());
    std::printf(
        "The error of a model rises when the data drifts and falls again once a model trained on\n"
        "the new data takes over; scoring never paused for a swap or for the rejected update.\n");
    std::printf("results written to %s\n", (out_dir / "scored.csv").string().c_str());
    return counters.source_errors == 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "wine_serving: " << e.what() << '\n';
    return 1;
}
