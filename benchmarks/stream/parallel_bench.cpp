// The parallel runtime: scaling from 1 to 2 partitions on a CPU-heavy model, and data latency
// during a storm of model updates against the same with none. Each run also checks that every
// record came out exactly once (the counters "lost" and "duplicated" must be 0).
#include <benchmark/benchmark.h>
#include <scorestream/scorestream.hpp>
#include <scorestream/stream/parallel.hpp>

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

// Counts outputs per partition (no sharing between partitions on the hot path).
struct tally {
    std::uint64_t count = 0;
    std::uint64_t id_sum = 0;
    std::vector<std::int64_t> latencies;
};

void check_exactly_once(benchmark::State& state, const std::vector<tally>& t, std::uint64_t n) {
    std::uint64_t count = 0, sum = 0;
    for (const auto& x : t) {
        count += x.count;
        sum += x.id_sum;
    }
    const std::uint64_t want_sum = n * (n - 1) / 2;
    state.counters["lost"] = count < n ? double(n - count) : 0;
    state.counters["duplicated"] = count > n ? double(count - n) : 0;
    if (count != n || sum != want_sum) state.SkipWithError("records lost or duplicated");
}

// Throughput of the same CPU-heavy model on 1 or 2 partitions.
void BM_parallel_scaling(benchmark::State& state) {
    const auto partitions = static_cast<std::size_t>(state.range(0));
    constexpr std::uint64_t n = 20000;
    for (auto _ : state) {
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
        check_exactly_once(state, t, n);
    }
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(n));
}
BENCHMARK(BM_parallel_scaling)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("partitions")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Data latency at a fixed input rate, with or without 1000 model updates per second.
void BM_latency_under_update_storm(benchmark::State& state) {
    const bool storm = state.range(0) != 0;
    constexpr std::uint64_t n = 40000;
    constexpr double rate_per_s = 40000;  // one second of input
    std::vector<std::int64_t> all;
    std::uint64_t updates_sent = 0;
    for (auto _ : state) {
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
        check_exactly_once(state, t, n);
        for (auto& x : t) all.insert(all.end(), x.latencies.begin(), x.latencies.end());
    }
    std::sort(all.begin(), all.end());
    auto q = [&](double f) {
        return all.empty() ? 0.0 : double(all[std::size_t(f * double(all.size() - 1))]) / 1e3;
    };
    state.counters["p50_us"] = q(0.5);
    state.counters["p99_us"] = q(0.99);
    state.counters["p999_us"] = q(0.999);
    state.counters["updates"] = double(updates_sent);
}
BENCHMARK(BM_latency_under_update_storm)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("storm")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
