// The parallel runtime: scaling from 1 to 2 partitions on a CPU-heavy model, and data latency
// during a storm of model updates against the same with none. Each run also checks that every
// record came out exactly once (the counters "lost" and "duplicated" must be 0). Besides wall time,
// each benchmark reports CPU time per record (getrusage), which depends far less on what else the
// machine runs.
#include <benchmark/benchmark.h>
#include <scorestream/scorestream.hpp>
#include <scorestream/stream/parallel.hpp>

#include <sys/resource.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

using namespace scorestream;

namespace {

struct reading {
    std::uint64_t id = 0;
    double x = 0;
    std::int64_t sent_ns = 0;  // when the record entered the pipeline (steady clock)
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

template <>
struct scorestream::record_traits<reading> : scorestream::struct_record<reading> {
    static const field_table<reading>& fields() {
        static const auto t = field_table<reading>{}.add<&reading::x>("x");
        return t;
    }
};

namespace {

// A dense two-layer network over one input, `width` wide: width^2 multiply-adds per record.
class heavy_model final : public Model {
public:
    heavy_model(ModelIdentity id, std::size_t width) : id_(std::move(id)), w_(width * width), width_(width) {
        schema_.inputs = {"x"};
        for (std::size_t i = 0; i < w_.size(); ++i) w_[i] = std::sin(double(i)) * 0.01;
    }
    const ModelIdentity& identity() const noexcept override { return id_; }
    const ModelSchema& schema() const noexcept override { return schema_; }
    std::string to_bytes() const override { return std::to_string(width_); }
    void score(const FeatureRow& row, Prediction& out) const override {
        out.reset(0);
        double acc = 0;
        const double x = row[0].as_number();
        for (std::size_t i = 0; i < width_; ++i) {
            double h = 0;
            for (std::size_t j = 0; j < width_; ++j) h += w_[i * width_ + j] * (x + double(j));
            acc += h > 0 ? h : 0;
        }
        out.value = Value::number(acc);
    }

private:
    ModelIdentity id_;
    ModelSchema schema_;
    std::vector<double> w_;
    std::size_t width_;
};

class heavy_factory final : public ModelFactory {
public:
    std::string type() const override { return "heavy"; }
    ModelPtr create(const ModelDescriptor& d) const override { return restore(d.data(), identity_of(d)); }
    ModelPtr restore(std::string_view bytes, const ModelIdentity& id) const override {
        return std::make_shared<heavy_model>(id, std::stoul(std::string(bytes)));
    }
};

ModelDescriptor heavy(std::size_t width, std::uint64_t version) {
    ModelDescriptor d;
    d.set_name("heavy");
    d.set_version(std::to_string(version));
    d.set_data_type("readings");
    d.set_model_type(proto::CUSTOM);
    d.set_custom_type("heavy");
    d.set_data(std::to_string(width));
    return d;
}

const ModelRegistry& registry() {
    static const ModelRegistry r = [] {
        ModelRegistry reg;
        reg.add(std::make_shared<heavy_factory>());
        return reg;
    }();
    return r;
}

// Counts outputs per partition. Each partition's tally has its own cache lines, so the partitions
// share nothing on the hot path.
struct alignas(64) tally {
    std::uint64_t count = 0;
    std::uint64_t id_sum = 0;
    std::vector<std::int64_t> latencies;
};

bool exactly_once(const std::vector<tally>& t, std::uint64_t n, std::uint64_t& lost,
                  std::uint64_t& duplicated) {
    std::uint64_t count = 0, sum = 0;
    for (const auto& x : t) {
        count += x.count;
        sum += x.id_sum;
    }
    lost += count < n ? n - count : 0;
    duplicated += count > n ? count - n : 0;
    return count == n && sum == n * (n - 1) / 2;
}

// CPU time of this thread (the dispatcher: run() dispatches on the calling thread) and of the whole
// process, and how often this thread went to sleep. Unlike wall time, these barely move with the
// machine's load: they say how much work the runtime adds, not how long it waited for a core.
struct cpu_sample {
    double thread_s = 0;
    double process_s = 0;
    long thread_sleeps = 0;   // voluntary context switches of this thread
    long process_sleeps = 0;  // ... of every thread of the process

    static double seconds(const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; }
    static cpu_sample now() {
        cpu_sample c;
        rusage self{}, thread{};
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_THREAD, &thread);
        c.process_s = seconds(self.ru_utime) + seconds(self.ru_stime);
        c.thread_s = seconds(thread.ru_utime) + seconds(thread.ru_stime);
        c.thread_sleeps = thread.ru_nvcsw;
        c.process_sleeps = self.ru_nvcsw;
        return c;
    }
    cpu_sample operator-(const cpu_sample& o) const {
        return {thread_s - o.thread_s, process_s - o.process_s, thread_sleeps - o.thread_sleeps,
                process_sleeps - o.process_sleeps};
    }
};

// One run of the scaling workload: n records through the CPU-heavy model on `partitions`
// partitions. Returns the wall time in seconds; adds the CPU figures to `cpu`.
double scaling_run(std::size_t partitions, std::uint64_t n, cpu_sample& cpu, std::uint64_t& lost,
                   std::uint64_t& duplicated, bool& ok) {
    std::uint64_t next = 0;
    auto source = generate([&]() -> std::optional<reading> {
        if (next == n) return std::nullopt;
        const std::uint64_t id = next++;
        return reading{id, double(id % 100), 0};
    });
    control_queue<ModelDescriptor> control;
    control.push(heavy(48, 1));
    control.close();
    std::vector<tally> t(partitions);
    parallel_options o;
    o.partitions = partitions;
    o.queue_capacity = 1024;
    model_join_options mo;
    mo.data_type = "readings";
    mo.policy = before_state::hold;
    const auto c0 = cpu_sample::now();
    const auto start = std::chrono::steady_clock::now();
    {
        auto p = parallel(
            std::move(source), control.source(), round_robin{},
            [&](auto data, auto ctl, std::size_t i) {
                return std::move(data) | join(std::move(ctl), registry(), mo) | score() |
                       sink([&t, i](const Scored<reading>& r) {
                           ++t[i].count;
                           t[i].id_sum += r.record.id;
                       });
            },
            o);
        p->run();
    }  // the pool's threads are joined here, so their CPU time is all counted
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto d = cpu_sample::now() - c0;
    cpu.thread_s += d.thread_s;
    cpu.process_s += d.process_s;
    cpu.thread_sleeps += d.thread_sleeps;
    ok = exactly_once(t, n, lost, duplicated) && ok;
    return wall;
}

constexpr std::uint64_t scaling_records = 40000;

// Throughput of the same CPU-heavy model on 1 or 2 partitions.
void BM_parallel_scaling(benchmark::State& state) {
    const auto partitions = static_cast<std::size_t>(state.range(0));
    cpu_sample cpu;
    std::uint64_t lost = 0, duplicated = 0;
    bool ok = true;
    for (auto _ : state) scaling_run(partitions, scaling_records, cpu, lost, duplicated, ok);
    const double records = double(state.iterations()) * double(scaling_records);
    state.SetItemsProcessed(std::int64_t(records));
    state.counters["cpu_us_per_record"] = cpu.process_s * 1e6 / records;
    state.counters["dispatcher_cpu_us_per_record"] = cpu.thread_s * 1e6 / records;
    state.counters["dispatcher_sleeps_per_1k"] = double(cpu.thread_sleeps) * 1000 / records;
    state.counters["lost"] = double(lost);
    state.counters["duplicated"] = double(duplicated);
    if (!ok) state.SkipWithError("records lost or duplicated");
}
BENCHMARK(BM_parallel_scaling)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("partitions")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The scaling ratio from pairs of adjacent runs (1 partition, then 2), so that a change in the
// machine's load between the two halves of a measurement moves both: the median pair ratio, and
// the ratio of CPU time per record (which should stay near 1: two partitions do not add work).
void BM_parallel_scaling_pairs(benchmark::State& state) {
    const int pairs = int(state.range(0));
    std::vector<double> ratios;
    cpu_sample cpu1, cpu2;
    std::uint64_t lost = 0, duplicated = 0;
    bool ok = true;
    for (auto _ : state) {
        for (int k = 0; k < pairs; ++k) {
            const double one = scaling_run(1, scaling_records, cpu1, lost, duplicated, ok);
            const double two = scaling_run(2, scaling_records, cpu2, lost, duplicated, ok);
            ratios.push_back(one / two);
        }
    }
    std::sort(ratios.begin(), ratios.end());
    state.counters["ratio_median"] = ratios[ratios.size() / 2];
    state.counters["ratio_min"] = ratios.front();
    state.counters["ratio_max"] = ratios.back();
    state.counters["cpu_ratio_2_over_1"] = cpu2.process_s / cpu1.process_s;
    state.counters["lost"] = double(lost);
    state.counters["duplicated"] = double(duplicated);
    if (!ok) state.SkipWithError("records lost or duplicated");
}
BENCHMARK(BM_parallel_scaling_pairs)->Arg(5)->ArgName("pairs")->Iterations(1)->Unit(benchmark::kSecond);

struct latency_result {
    std::vector<std::int64_t> latencies;
    std::uint64_t updates = 0;
    cpu_sample cpu;
};

// One second of input at 40,000 records/s on two partitions, with or without 1000 model updates
// per second built off the data path (built_models) and broadcast to both partitions.
void latency_run(bool storm, latency_result& out, std::uint64_t& lost, std::uint64_t& duplicated, bool& ok) {
    constexpr std::uint64_t n = 40000;
    constexpr double rate_per_s = 40000;
    const auto c0 = cpu_sample::now();
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t next = 0;
    auto source = generate([&]() -> std::optional<reading> {
        if (next == n) return std::nullopt;
        // Pace the input: record k enters at start + k / rate. Sleeping (not spinning) keeps the
        // dispatcher off the cores the partitions need; records then arrive in small bursts.
        const auto due = start + std::chrono::nanoseconds(std::int64_t(double(next) * 1e9 / rate_per_s));
        if (std::chrono::steady_clock::now() < due) std::this_thread::sleep_until(due);
        const std::uint64_t id = next++;
        return reading{id, double(id % 100), now_ns()};
    });
    control_queue<ModelDescriptor> descriptors;
    descriptors.push(heavy(8, 0));
    std::atomic<bool> stop{false};
    std::uint64_t updates_sent = 0;
    std::thread publisher([&] {
        if (!storm) return;
        std::uint64_t v = 1;
        auto due = std::chrono::steady_clock::now();
        while (!stop.load()) {
            due += std::chrono::milliseconds(1);  // 1000 updates per second
            std::this_thread::sleep_until(due);
            descriptors.push(heavy(8, v++));
        }
        updates_sent = v - 1;
    });
    std::vector<tally> t(2);
    for (auto& x : t) x.latencies.reserve(n);
    {
        parallel_options o;
        o.partitions = 2;
        model_join_options mo;
        mo.data_type = "readings";
        mo.policy = before_state::hold;
        auto p = parallel(
            std::move(source), built_models(descriptors.source(), registry()), round_robin{},
            [&](auto data, auto ctl, std::size_t i) {
                return std::move(data) | join(std::move(ctl), registry(), mo) | score() |
                       sink([&t, i](const Scored<reading>& r) {
                           ++t[i].count;
                           t[i].id_sum += r.record.id;
                           t[i].latencies.push_back(now_ns() - r.record.sent_ns);
                       });
            },
            o);
        p->run();
        stop = true;
        publisher.join();
    }
    const auto d = cpu_sample::now() - c0;
    out.cpu.thread_s += d.thread_s;
    out.cpu.process_s += d.process_s;
    out.cpu.thread_sleeps += d.thread_sleeps;
    out.cpu.process_sleeps += d.process_sleeps;
    out.updates += updates_sent;
    ok = exactly_once(t, n, lost, duplicated) && ok;
    for (auto& x : t) out.latencies.insert(out.latencies.end(), x.latencies.begin(), x.latencies.end());
}

double quantile_us(std::vector<std::int64_t>& v, double f) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return double(v[std::size_t(f * double(v.size() - 1))]) / 1e3;
}

// Data latency with no model updates and during 1000 updates per second, in alternating rounds
// (quiet, storm, quiet, storm, ...) so that both see the same machine.
void BM_latency_under_update_storm(benchmark::State& state) {
    const int rounds = int(state.range(0));
    latency_result quiet, storm;
    std::uint64_t lost = 0, duplicated = 0;
    bool ok = true;
    for (auto _ : state) {
        for (int k = 0; k < rounds; ++k) {
            latency_run(false, quiet, lost, duplicated, ok);
            latency_run(true, storm, lost, duplicated, ok);
        }
    }
    const double records = double(quiet.latencies.size());
    state.counters["quiet_p50_us"] = quantile_us(quiet.latencies, 0.5);
    state.counters["quiet_p99_us"] = quantile_us(quiet.latencies, 0.99);
    state.counters["quiet_p999_us"] = quantile_us(quiet.latencies, 0.999);
    state.counters["storm_p50_us"] = quantile_us(storm.latencies, 0.5);
    state.counters["storm_p99_us"] = quantile_us(storm.latencies, 0.99);
    state.counters["storm_p999_us"] = quantile_us(storm.latencies, 0.999);
    state.counters["p999_ratio"] = state.counters["storm_p999_us"] / state.counters["quiet_p999_us"];
    state.counters["updates"] = double(storm.updates);
    state.counters["quiet_cpu_us_per_record"] = quiet.cpu.process_s * 1e6 / records;
    state.counters["storm_cpu_us_per_record"] = storm.cpu.process_s * 1e6 / records;
    // Threads going to sleep (and so being woken again), per record: all threads of the process.
    state.counters["quiet_sleeps_per_record"] = double(quiet.cpu.process_sleeps) / records;
    state.counters["storm_sleeps_per_record"] = double(storm.cpu.process_sleeps) / records;
    state.counters["lost"] = double(lost);
    state.counters["duplicated"] = double(duplicated);
    if (!ok) state.SkipWithError("records lost or duplicated");
}
BENCHMARK(BM_latency_under_update_storm)->Arg(3)->ArgName("rounds")->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
