// The parallel runtime: scaling from 1 to 2 partitions on a CPU-heavy model, and data latency
// during a storm of model updates against the same with none. Each run also checks that every
// record came out exactly once (the counters "lost" and "duplicated" must be 0). Besides wall time,
// each benchmark reports CPU time per record (getrusage), which depends far less on what else the
// machine runs.
#include <benchmark/benchmark.h>
#include <scorestream/scorestream.hpp>
#include <scorestream/stream/model_builder.hpp>
#include <scorestream/stream/parallel.hpp>

#include <boost/asio/io_context.hpp>

#include <dirent.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
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

// CPU time (ns, from /proc/<pid>/task/<tid>/schedstat) and voluntary context switches of the
// threads of one latency run, by role. Read when run() has returned, while the pool and the builder
// still exist (their whole lives lie within the run). Roles: the dispatcher is the main thread, the
// update publisher names itself; of the other threads the builder of built_models was created
// first (lowest thread id), the partitions' pool threads after it.
struct role_sample {
    double cpu_s = 0;
    long sleeps = 0;
    role_sample& operator+=(const role_sample& o) {
        cpu_s += o.cpu_s;
        sleeps += o.sleeps;
        return *this;
    }
};
struct thread_roles {
    role_sample builder, workers;
    thread_roles& operator+=(const thread_roles& o) {
        builder += o.builder;
        workers += o.workers;
        return *this;
    }
};

role_sample read_task(long tid, std::string& comm) {
    role_sample r;
    const std::string dir = "/proc/self/task/" + std::to_string(tid) + "/";
    if (FILE* f = std::fopen((dir + "schedstat").c_str(), "r")) {
        unsigned long long run_ns = 0;
        if (std::fscanf(f, "%llu", &run_ns) == 1) r.cpu_s = double(run_ns) / 1e9;
        std::fclose(f);
    }
    if (FILE* f = std::fopen((dir + "status").c_str(), "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f)) {
            long v = 0;
            if (std::sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1) r.sleeps = v;
        }
        std::fclose(f);
    }
    if (FILE* f = std::fopen((dir + "comm").c_str(), "r")) {
        char name[64] = {};
        if (std::fgets(name, sizeof name, f)) comm = name;
        std::fclose(f);
    }
    return r;
}

thread_roles sample_roles() {
    std::vector<long> tids;
    if (DIR* d = opendir("/proc/self/task")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') tids.push_back(std::stol(e->d_name));
        closedir(d);
    }
    std::sort(tids.begin(), tids.end());
    thread_roles roles;
    bool builder_seen = false;
    for (long tid : tids) {
        if (tid == long(getpid())) continue;  // the dispatcher: measured with getrusage
        std::string comm;
        const role_sample r = read_task(tid, comm);
        if (comm.rfind("publisher", 0) == 0) continue;
        if (!builder_seen) {
            roles.builder += r;
            builder_seen = true;
        } else {
            roles.workers += r;
        }
    }
    return roles;
}

struct latency_result {
    std::vector<std::int64_t> latencies;
    std::uint64_t updates = 0;
    cpu_sample cpu;
    thread_roles roles;
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
        pthread_setname_np(pthread_self(), "publisher");
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
        out.roles += sample_roles();
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
    // What the updates cost, per update: the storm rounds' figures minus the quiet rounds', for the
    // partitions' threads (the data path's cores) and for the builder thread of built_models.
    const double updates = std::max(1.0, double(storm.updates));
    state.counters["workers_cpu_us_per_update"] =
        (storm.roles.workers.cpu_s - quiet.roles.workers.cpu_s) * 1e6 / updates;
    state.counters["workers_sleeps_per_update"] =
        double(storm.roles.workers.sleeps - quiet.roles.workers.sleeps) / updates;
    state.counters["builder_cpu_us_per_update"] =
        (storm.roles.builder.cpu_s - quiet.roles.builder.cpu_s) * 1e6 / updates;
    state.counters["builder_sleeps_per_update"] =
        double(storm.roles.builder.sleeps - quiet.roles.builder.sleeps) / updates;
    state.counters["quiet_builder_sleeps"] = double(quiet.roles.builder.sleeps);
    state.counters["quiet_workers_sleeps_per_record"] = double(quiet.roles.workers.sleeps) / records;
    state.counters["lost"] = double(lost);
    state.counters["duplicated"] = double(duplicated);
    if (!ok) state.SkipWithError("records lost or duplicated");
}
BENCHMARK(BM_latency_under_update_storm)->Arg(3)->ArgName("rounds")->Iterations(1)->Unit(benchmark::kSecond);

// Yields the wrapped source's next message only once `*passed` has reached the next gate (every
// `every` records), so control messages fall between data records at fixed places.
template <class S>
struct gated_source {
    using value_type = typename S::value_type;
    S inner;
    const std::uint64_t* passed;
    std::uint64_t every;
    std::uint64_t gate;
    pull next(value_type& out) {
        if (*passed < gate) return pull::idle;
        const pull r = inner.next(out);
        if (r == pull::item) gate += every;
        return r;
    }
    const record_error& error() const noexcept { return inner.error(); }
};

// The work an update adds to the partitions, without threads racing: `updates` models built ahead
// by built_models, released among 40,000 records at fixed places (one every 40,000 / updates
// records) and broadcast to two partitions, whose turns then run on this thread (an io_context run
// after dispatching). Meant for callgrind: --toggle-collect='*worker::turn*' counts the partitions'
// instructions only, and the difference between updates:1000 and updates:0, divided by 1000, is
// what one update costs the partitions (both of them together).
void BM_update_cost_on_partitions(benchmark::State& state) {
    const auto updates = static_cast<std::uint64_t>(state.range(0));
    constexpr std::uint64_t n = 40000;
    std::uint64_t lost = 0, duplicated = 0;
    bool ok = true;
    for (auto _ : state) {
        control_queue<ModelDescriptor> descriptors;
        descriptors.push(heavy(8, 0));
        for (std::uint64_t v = 1; v <= updates; ++v) descriptors.push(heavy(8, v));
        descriptors.close();
        auto built = built_models(descriptors.source(), registry());
        while (built.builds() < updates + 1) std::this_thread::yield();
        std::uint64_t next = 0;
        auto source = generate([&]() -> std::optional<reading> {
            if (next == n) return std::nullopt;
            const std::uint64_t id = next++;
            return reading{id, double(id % 100), 0};
        });
        const std::uint64_t every = updates ? n / updates : n;
        gated_source<decltype(built)> control{std::move(built), &next, every, 0};
        std::vector<tally> t(2);
        boost::asio::io_context io;
        parallel_options o;
        o.partitions = 2;
        o.queue_capacity = n;  // the whole input fits: the partitions run after the dispatch
        model_join_options mo;
        mo.data_type = "readings";
        mo.policy = before_state::hold;
        auto p = parallel(
            std::move(source), std::move(control), round_robin{},
            [&](auto data, auto ctl, std::size_t i) {
                return std::move(data) | join(std::move(ctl), registry(), mo) | score() |
                       sink([&t, i](const Scored<reading>& r) {
                           ++t[i].count;
                           t[i].id_sum += r.record.id;
                       });
            },
            o, boost::asio::any_io_executor(io.get_executor()));
        while (!p->poll(n + 1).idle) {
        }
        io.run();
        p->finish();
        ok = exactly_once(t, n, lost, duplicated) && ok;
        std::uint64_t applied = 0;
        for (std::size_t i = 0; i < 2; ++i) applied += p->partition(i).counters().control_messages;
        state.counters["control_applied"] = double(applied);
    }
    state.counters["lost"] = double(lost);
    state.counters["duplicated"] = double(duplicated);
    if (!ok) state.SkipWithError("records lost or duplicated");
}
BENCHMARK(BM_update_cost_on_partitions)
    ->Arg(0)
    ->Arg(1000)
    ->ArgName("updates")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
