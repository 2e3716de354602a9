// The cost of the DSL: `source | join | score | sink` inline, against a hand-written loop doing the
// same work. The model lives in its own translation unit (bench_model.cpp), as real models do, so
// neither loop can inline it (check the control queue, route to the current model, gather the features,
// score, time it, count it, tag the result with the model, hand it to a sink).
#include <benchmark/benchmark.h>
#include <scorestream/scorestream.hpp>

#include "bench_model.hpp"

#include <chrono>
#include <vector>

using namespace scorestream;

namespace {
struct wine {
    double acidity = 0;
    double alcohol = 0;
    std::string type = "red";
};
}  // namespace

template <>
struct scorestream::record_traits<wine> : scorestream::struct_record<wine> {
    static const field_table<wine>& fields() {
        static const auto t =
            field_table<wine>{}.add<&wine::acidity>("acidity").add<&wine::alcohol>("alcohol");
        return t;
    }
    static std::string_view data_type(const wine& w) { return w.type; }
};

namespace {
constexpr std::size_t records_per_run = 100000;

std::vector<wine> make_records() {
    std::vector<wine> v(records_per_run);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = {double(i % 97) * 0.1, 9 + double(i % 13) * 0.3, "red"};
    return v;
}

const ModelRegistry& registry() {
    static const ModelRegistry r = [] {
        ModelRegistry reg;
        reg.add(bench::weighted_sum_factory());
        return reg;
    }();
    return r;
}

ModelDescriptor model() { return bench::weighted_sum_descriptor("red"); }

void BM_pipeline(benchmark::State& state) {
    const auto records = make_records();
    score_options so;
    so.time_every = static_cast<std::size_t>(state.range(0));
    double sum = 0;
    for (auto _ : state) {
        state.PauseTiming();
        control_queue<ModelDescriptor> control;
        control.push(model());
        auto p = from(records) | join(control.source(), registry()) | score(so) |
                 sink([&sum](const Scored<wine>& s) { sum += s.prediction.value.as_number(); });
        state.ResumeTiming();
        p.run();
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * records_per_run);
}
BENCHMARK(BM_pipeline)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);

// The same work written by hand, as tightly as a user reasonably would: records are pulled from
// the same kind of source, then routed, gathered, scored, timed, counted and tagged. "The same
// work" means the same observable results: each record leaves as a Scored<wine> with its status,
// the model that answered and the prediction (a failed prediction says why and is counted), and
// the records in/out, usage and durations are counted as the pipeline counts them.
void BM_hand_loop(benchmark::State& state) {
    const auto records = make_records();
    const bool timed = state.range(0) != 0;
    double sum = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto input = from(records);
        control_queue<ModelDescriptor> control;
        control.push(model());
        auto reader = control.source();
        ModelPtr current;
        model_stats stats;
        pipeline_counters counters;
        ModelDescriptor msg;
        std::vector<Value> row(2);
        Scored<wine> out;
        wine r;
        state.ResumeTiming();
        // Records arrive one at a time from a source, as they would from any stream.
        while (input.next(r) == pull::item) {
            ++counters.records_in;
            if (reader.next(msg) == pull::item) current = registry().build(msg);
            if (!current || r.type != current->identity().data_type) continue;
            row[0] = Value::number(r.acidity);
            row[1] = Value::number(r.alcohol);
            out.record = std::move(r);
            std::chrono::steady_clock::time_point t0;
            if (timed) t0 = std::chrono::steady_clock::now();
            current->score(FeatureRow(row.data(), row.size()), out.prediction);
            if (timed) {
                out.duration = std::chrono::steady_clock::now() - t0;
                stats.record_duration(static_cast<std::uint64_t>(out.duration.count()));
            }
            ++stats.usage;
            out.model = current;
            if (out.prediction.ok()) {
                out.status = score_status::scored;
                if (!out.reason.empty()) out.reason.clear();  // a scored record has no reason
            } else {
                out.status = score_status::failed;
                out.reason = out.prediction.error;
                ++stats.failures;
            }
            sum += out.prediction.value.as_number();
            ++counters.records_out;
        }
        benchmark::DoNotOptimize(counters);
        benchmark::DoNotOptimize(stats);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * records_per_run);
}
BENCHMARK(BM_hand_loop)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);
}  // namespace

BENCHMARK_MAIN();
