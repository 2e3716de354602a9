// Serving strategies under load.
//
// BM_deadline: records arrive on a fixed schedule (2000/s, open loop); the primary takes a latency
// drawn from a fixed distribution (85% 20us, 10% 150us, 4% 1ms, 1% 5ms; it waits, as a model
// behind an accelerator or a remote call would), the fallback is a cheap linear model. Reported per
// record: service latency (from the pipeline taking the record to the sink receiving its answer:
// what the deadline bounds) and end-to-end latency (from the time the record was due: queueing
// included), p50, p99, p99.9 and max, next to the budget, plus the share answered by the primary.
// BM_primary_alone is the same slow model served by a plain join | score(); BM_fallback_alone the
// fast one (the floor).
//
// BM_single_model, BM_consensus3, BM_best_quality3, BM_ab_split2, BM_shadow2: ns per record of
// join | score() with one linear model against consensus (three members), best quality (three),
// A/B (two arms, keyed) and shadow (two), all on the same records, with and without timing.
#include <benchmark/benchmark.h>
#include <scorestream/scorestream.hpp>
#include <scorestream/serve/serve.hpp>
#include <support/linear_model.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace scorestream;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {
struct request {
    double x = 0;
    double delay_us = 0;  ///< how long the slow primary takes for this record
    double key = 0;
    clock_type::time_point due{};     ///< when the record was due (arrival schedule)
    clock_type::time_point pulled{};  ///< when the pipeline took it from the source
};
}  // namespace

template <>
struct scorestream::record_traits<request> : scorestream::struct_record<request> {
    static const field_table<request>& fields() {
        static const auto t = field_table<request>{}
                                  .add<&request::x>("x")
                                  .add<&request::delay_us>("delay_us")
                                  .add<&request::key>("key");
        return t;
    }
    static std::string_view data_type(const request&) { return "r"; }
};

namespace {
// A model that waits `delay_us` (its input) and answers x + 1.
class slow_model final : public Model {
public:
    explicit slow_model(ModelIdentity id) : id_(std::move(id)) {
        schema_.inputs = {"x", "delay_us"};
        schema_.target = "y";
    }
    const ModelIdentity& identity() const noexcept override { return id_; }
    const ModelSchema& schema() const noexcept override { return schema_; }
    std::string to_bytes() const override { return {}; }
    void score(const FeatureRow& row, Prediction& out) const override {
        out.reset(0);
        std::this_thread::sleep_for(std::chrono::duration<double, std::micro>(row[1].as_number()));
        out.value = Value::number(row[0].as_number() + 1);
    }

private:
    ModelIdentity id_;
    ModelSchema schema_;
};
class slow_factory final : public ModelFactory {
public:
    std::string type() const override { return "slow"; }
    ModelPtr create(const ModelDescriptor& d) const override {
        return std::make_shared<slow_model>(identity_of(d));
    }
    ModelPtr restore(std::string_view, const ModelIdentity& id) const override {
        return std::make_shared<slow_model>(id);
    }
};

const ModelRegistry& registry() {
    static const ModelRegistry r = [] {
        ModelRegistry reg;
        reg.add(std::make_shared<testing::linear_factory>());
        reg.add(std::make_shared<slow_factory>());
        return reg;
    }();
    return r;
}

ModelDescriptor linear(const std::string& role, double bias) {
    return testing::linear_descriptor("r", role, "1", "bias " + std::to_string(bias) + "\nw x 0.5\n");
}
ModelDescriptor slow(const std::string& role) {
    ModelDescriptor d;
    d.set_name(role);
    d.set_version("1");
    d.set_data_type("r");
    d.set_model_type(proto::CUSTOM);
    d.set_custom_type("slow");
    d.set_data("slow");
    return d;
}

// The primary's latency: 85% 20us, 10% 150us, 4% 1ms, 1% 5ms (a fixed pseudo-random sequence).
double primary_delay_us(std::uint64_t i) {
    std::uint64_t h = (i + 1) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    const auto pct = h % 100;
    if (pct < 85) return 20;
    if (pct < 95) return 150;
    if (pct < 99) return 1000;
    return 5000;
}

// Two latencies per record: end to end (from when it was due, queueing included) and service
// (from when the pipeline took it to its answer: what the deadline bounds).
struct latency_report {
    std::vector<double> end_to_end, service;
    void add(const request& r) {
        const auto now = clock_type::now();
        end_to_end.push_back(std::chrono::duration<double, std::micro>(now - r.due).count());
        service.push_back(std::chrono::duration<double, std::micro>(now - r.pulled).count());
    }
    void publish(benchmark::State& state) {
        publish(state, service, "svc_");
        publish(state, end_to_end, "e2e_");
    }
    static void publish(benchmark::State& state, std::vector<double>& us, const std::string& prefix) {
        std::sort(us.begin(), us.end());
        auto q = [&](double p) {
            return us[std::min(us.size() - 1, static_cast<std::size_t>(p * double(us.size())))];
        };
        state.counters[prefix + "p50_us"] = q(0.50);
        state.counters[prefix + "p99_us"] = q(0.99);
        state.counters[prefix + "p99.9_us"] = q(0.999);
        state.counters[prefix + "max_us"] = us.back();
    }
};

constexpr std::uint64_t deadline_records = 4000;
constexpr auto arrival_interval = std::chrono::microseconds(500);  // 2000 records/s, open loop

// Records arrive on a fixed schedule (open loop): the source sleeps until a record is due and
// stamps it with the time it was due, so a pipeline that falls behind pays its queueing delay in
// the measured latency. The pacing itself (oversleeping on a busy machine) shows in
// BM_fallback_alone, the floor of these figures.
auto request_source(std::uint64_t n) {
    std::uint64_t i = 0;
    clock_type::time_point start{};
    return generate([i, n, start]() mutable -> std::optional<request> {
        if (i == n) return std::nullopt;
        if (i == 0) start = clock_type::now();
        const auto due = start + i * arrival_interval;
        if (clock_type::now() < due) std::this_thread::sleep_until(due);
        request r{double(i), primary_delay_us(i), double(i % 1000), due, clock_type::now()};
        ++i;
        return r;
    });
}

void BM_deadline(benchmark::State& state) {
    const auto budget = std::chrono::microseconds(state.range(0));
    latency_report lat;
    serve::serve_stats stats;
    std::uint64_t records = 0;
    for (auto _ : state) {
        serve::deadline d;
        d.budget = budget;
        d.max_in_flight = 4;
        d.executor = std::make_shared<serve::thread_pool_runner>(1);
        control_queue<ModelDescriptor> models;
        models.push(slow("primary"));
        models.push(linear("fallback", 0));
        serve::serve_options o;
        o.stats = &stats;
        auto p = request_source(deadline_records) | join(models.source(), registry(), d, o) | serve::score() |
                 sink([&](const Scored<request>& s) { lat.add(s.record); });
        p.run();
        records += deadline_records;
    }
    lat.publish(state);
    const auto& st = *stats.find("r");
    state.counters["budget_us"] = double(budget.count());
    state.counters["primary_share"] = double(st.primary_in_time) / double(st.records);
    state.counters["busy_share"] = double(st.primary_busy) / double(st.records);
    state.counters["late_discarded"] = double(st.late_discarded);
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
}
BENCHMARK(BM_deadline)
    ->Arg(200)
    ->Arg(400)
    ->Arg(1000)
    ->ArgName("budget_us")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

template <class Model>
void single_model_latency(benchmark::State& state, Model model) {
    latency_report lat;
    for (auto _ : state) {
        control_queue<ModelDescriptor> models;
        models.push(model);
        auto p = request_source(deadline_records) | join(models.source(), registry()) | score() |
                 sink([&](const Scored<request>& s) { lat.add(s.record); });
        p.run();
    }
    lat.publish(state);
    state.SetItemsProcessed(static_cast<std::int64_t>(deadline_records));
}
void BM_primary_alone(benchmark::State& state) { single_model_latency(state, slow("primary")); }
BENCHMARK(BM_primary_alone)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
void BM_fallback_alone(benchmark::State& state) { single_model_latency(state, linear("fallback", 0)); }
BENCHMARK(BM_fallback_alone)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- per-record overhead -------------------------------------------------------------------
constexpr std::size_t overhead_records = 200000;

const std::vector<request>& overhead_data() {
    static const std::vector<request> v = [] {
        std::vector<request> r(overhead_records);
        for (std::size_t i = 0; i < r.size(); ++i) r[i] = {double(i % 97) * 0.1, 0, double(i % 1000), {}, {}};
        return r;
    }();
    return v;
}

template <class MakePipeline>
void run_overhead(benchmark::State& state, MakePipeline make) {
    double sum = 0;
    score_options so;
    so.time_every = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        auto p = make(sum, so);
        state.ResumeTiming();
        p.run();
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * overhead_records));
}

auto summing(double& sum) {
    return sink([&sum](const Scored<request>& s) { sum += s.prediction.value.as_number(); });
}

void BM_single_model(benchmark::State& state) {
    run_overhead(state, [](double& sum, score_options so) {
        control_queue<ModelDescriptor> models;
        models.push(linear("m", 1));
        return from(overhead_data()) | join(models.source(), registry()) | score(so) | summing(sum);
    });
}
BENCHMARK(BM_single_model)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);

template <class Strategy>
auto strategy_pipeline(double& sum, score_options so, Strategy s,
                       const std::vector<ModelDescriptor>& members) {
    control_queue<ModelDescriptor> models;
    for (const auto& m : members) models.push(m);
    return from(overhead_data()) | join(models.source(), registry(), std::move(s)) | serve::score(so) |
           summing(sum);
}

void BM_consensus3(benchmark::State& state) {
    run_overhead(state, [](double& sum, score_options so) {
        return strategy_pipeline(sum, so, serve::consensus{{"a", "b", "c"}},
                                 {linear("a", 1), linear("b", 2), linear("c", 3)});
    });
}
BENCHMARK(BM_consensus3)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);

void BM_best_quality3(benchmark::State& state) {
    run_overhead(state, [](double& sum, score_options so) {
        return strategy_pipeline(sum, so, serve::best_quality{{"a", "b", "c"}, "confidence", {}},
                                 {linear("a", 1), linear("b", 2), linear("c", 3)});
    });
}
BENCHMARK(BM_best_quality3)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);

void BM_ab_split2(benchmark::State& state) {
    run_overhead(state, [](double& sum, score_options so) {
        serve::ab_split ab;
        ab.arms = {{"a", 90}, {"b", 10}};
        ab.key_field = "key";
        return strategy_pipeline(sum, so, ab, {linear("a", 1), linear("b", 2)});
    });
}
BENCHMARK(BM_ab_split2)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);

void BM_shadow2(benchmark::State& state) {
    run_overhead(state, [](double& sum, score_options so) {
        return strategy_pipeline(sum, so, serve::shadow{}, {linear("primary", 1), linear("candidate", 1)});
    });
}
BENCHMARK(BM_shadow2)->Arg(1)->Arg(0)->ArgName("time_every")->Unit(benchmark::kMillisecond);
}  // namespace

BENCHMARK_MAIN();
