// Kafka serving on the embedded cluster (loopback):
//   BM_raw_consume          librdkafka alone reads the data topic (the ceiling)
//   BM_raw_consume_produce  librdkafka alone reads the data topic and writes every payload to a second
//                           topic, acknowledgements included: the ceiling of any topic-to-topic loop
//   BM_score_only           the same records through join | score in memory (the model's own cost)
//   BM_serve_topic_to_topic the scoring loop: data topic -> join(models) -> score(tree ensemble) ->
//                           results topic, delivery reports and commits included
//   BM_end_to_end_latency   records produced at a fixed rate; time from produce to the result being
//                           read back by a consumer; p50/p99 reported as counters
// Group joins (several seconds on the mock cluster) are outside the timed region: timing starts
// when the first message has arrived.

#include <scorestream/kafka/kafka.hpp>
#include <scorestream/pmml/pmml.hpp>
#include <scorestream/scorestream.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

using namespace scorestream;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int features = 6;
// Records in the data topic; SCORESTREAM_KAFKA_BENCH_RECORDS overrides.
const std::size_t records = [] {
    const char* e = std::getenv("SCORESTREAM_KAFKA_BENCH_RECORDS");
    return e ? std::strtoull(e, nullptr, 10) : 50000ull;
}();

// A random forest as PMML: `trees` regression trees of depth `depth`, averaged.
std::string forest_pmml(int trees, int depth, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> field(0, features - 1);
    std::uniform_real_distribution<double> split(0.0, 1.0);
    std::ostringstream x;
    x << "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\"><Header/>\n<DataDictionary>";
    for (int f = 0; f < features; ++f)
        x << "<DataField name=\"f" << f << "\" optype=\"continuous\" dataType=\"double\"/>";
    x << "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/></DataDictionary>\n";
    auto schema = [&] {
        x << "<MiningSchema>";
        for (int f = 0; f < features; ++f) x << "<MiningField name=\"f" << f << "\"/>";
        x << "<MiningField name=\"y\" usageType=\"target\"/></MiningSchema>";
    };
    x << "<MiningModel functionName=\"regression\">";
    schema();
    x << "<Segmentation multipleModelMethod=\"average\">\n";
    for (int t = 0; t < trees; ++t) {
        x << "<Segment id=\"" << t + 1 << "\"><True/><TreeModel functionName=\"regression\">";
        schema();
        // The root always matches; every inner node has two children: the first tests a split, the
        // second catches the rest. Leaves (at `depth`) carry the scores.
        x << "<Node><True/>";
        std::function<void(int)> children = [&](int d) {
            const bool leaf = d == depth;
            x << "<Node";
            if (leaf) x << " score=\"" << split(rng) << "\"";
            x << "><SimplePredicate field=\"f" << field(rng) << "\" operator=\"lessThan\" value=\""
              << split(rng) << "\"/>";
            if (!leaf) children(d + 1);
            x << "</Node><Node";
            if (leaf) x << " score=\"" << split(rng) << "\"";
            x << "><True/>";
            if (!leaf) children(d + 1);
            x << "</Node>";
        };
        children(1);
        x << "</Node></TreeModel></Segment>\n";
    }
    x << "</Segmentation></MiningModel></PMML>\n";
    return x.str();
}

std::string csv_line(std::mt19937& rng, std::size_t id) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::string s = std::to_string(id);
    char buf[24];
    for (int f = 0; f < features; ++f) {
        std::snprintf(buf, sizeof buf, ",%.5f", u(rng));
        s += buf;
    }
    return s;
}

kafka::csv_decoder_options csv_options() {
    kafka::csv_decoder_options o;
    o.columns = {"id"};
    for (int f = 0; f < features; ++f) o.columns.push_back("f" + std::to_string(f));
    o.data_type = "bench";
    return o;
}

ModelDescriptor forest_descriptor() {
    ModelDescriptor d;
    d.set_name("forest");
    d.set_version("1");
    d.set_data_type("bench");
    d.set_model_type(proto::PMML);
    d.set_data(forest_pmml(50, 6, 7));
    return d;
}

// One cluster for the whole run, with the data topic filled once.
struct bench_cluster {
    kafka::embedded_cluster cluster;
    kafka::client_config client;
    bench_cluster() {
        cluster.create_topic("bench-data", 1);
        cluster.create_topic("bench-models", 1);
        cluster.create_topic("bench-results", 1);
        cluster.create_topic("latency-results", 1);
        client = cluster.client("bench");
        kafka::producer p(client, [](void*) {}, {}, {{"linger.ms", "5"}, {"batch.num.messages", "10000"}});
        std::mt19937 rng(1);
        std::string err;
        for (std::size_t i = 0; i < records; ++i) {
            const std::string line = csv_line(rng, i);
            p.produce("bench-data", 0, std::nullopt, line, {}, nullptr, err);
        }
        if (!p.flush(120000)) std::cerr << "kafka_bench: the data topic was not filled in time\n";
        std::cerr << "kafka_bench: " << records << " records in bench-data\n";
        kafka::model_publisher(client, "bench-models").publish(forest_descriptor());
    }
};

bench_cluster& shared() {
    static bench_cluster c;
    return c;
}

int group_counter = 0;

// CPU time of the whole process (every librdkafka thread and the in-process mock broker included):
// on two cores, what bounds throughput once the loop is CPU-bound.
double process_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void report_process_cpu(benchmark::State& state, double cpu_s) {
    state.counters["process_cpu_us_per_record"] =
        1e6 * cpu_s / static_cast<double>(state.iterations() * records);
}

void BM_raw_consume(benchmark::State& state) {
    auto& bc = shared();
    double cpu_s = 0;
    for (auto _ : state) {
        state.PauseTiming();
        kafka::consumer cons(bc.client, "");
        cons.batch(1024);  // as the data source takes them
        cons.assign({{"bench-data", 0, kafka::offset_beginning}});
        kafka::message_view m;
        std::string err;
        std::size_t n = 0;
        std::size_t bytes = 0;
        while (cons.poll(100, m, err) != kafka::consumer::status::message) {
        }
        ++n;
        state.ResumeTiming();
        const double c0 = process_cpu_seconds();
        while (n < records)
            if (cons.poll(100, m, err) == kafka::consumer::status::message) {
                ++n;
                bytes += m.payload.size();
            }
        cpu_s += process_cpu_seconds() - c0;
        benchmark::DoNotOptimize(bytes);
        state.PauseTiming();
        cons.close();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
    report_process_cpu(state, cpu_s);
}
BENCHMARK(BM_raw_consume)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The least any topic-to-topic loop must do: consume each message and produce its payload, unchanged,
// to another topic with the result sink's producer settings (idempotent, linger.ms 2), serving delivery
// reports every 64 messages as the sink does. No decoding, no model, no encoding. The loop's time is
// split as in BM_serve_topic_to_topic: the consume/produce loop, then waiting for the last acks.
void BM_raw_consume_produce(benchmark::State& state) {
    auto& bc = shared();
    bc.cluster.create_topic("bench-raw-out", 1);
    double loop_s = 0, flush_s = 0, cpu_s = 0;
    std::size_t delivered = 0;
    for (auto _ : state) {
        state.PauseTiming();
        kafka::consumer cons(bc.client, "");
        cons.batch(1024);
        cons.assign({{"bench-data", 0, kafka::offset_beginning}});
        kafka::producer prod(bc.client, [&delivered](void*) { ++delivered; }, {},
                             {{"enable.idempotence", "true"}, {"linger.ms", "2"}});
        kafka::message_view m;
        std::string err;
        std::size_t n = 0;
        while (cons.poll(100, m, err) != kafka::consumer::status::message) {
        }
        state.ResumeTiming();
        const double c0 = process_cpu_seconds();
        const auto t0 = clock_type::now();
        for (;;) {
            if (!prod.produce("bench-raw-out", 0, std::nullopt, m.payload, {}, nullptr, err))
                state.SkipWithError(err.c_str());
            if (++n % 64 == 0) prod.poll(0);
            if (n == records) break;
            while (cons.poll(100, m, err) != kafka::consumer::status::message) {
            }
        }
        const auto t1 = clock_type::now();
        if (!prod.flush(120000)) state.SkipWithError("acknowledgements did not arrive in time");
        const auto t2 = clock_type::now();
        cpu_s += process_cpu_seconds() - c0;
        loop_s += std::chrono::duration<double>(t1 - t0).count();
        flush_s += std::chrono::duration<double>(t2 - t1).count();
        state.PauseTiming();
        cons.close();
        state.ResumeTiming();
    }
    if (delivered != state.iterations() * records) state.SkipWithError("not every message was acknowledged");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
    state.counters["loop_ms"] = 1000 * loop_s / static_cast<double>(state.iterations());
    state.counters["final_acks_ms"] = 1000 * flush_s / static_cast<double>(state.iterations());
    report_process_cpu(state, cpu_s);
}
BENCHMARK(BM_raw_consume_produce)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_serve_topic_to_topic(benchmark::State& state) {
    auto& bc = shared();
    ModelRegistry registry;
    pmml::register_pmml(registry);
    double loop_s = 0, flush_s = 0, cpu_s = 0;
    for (auto _ : state) {
        state.PauseTiming();
        kafka::control_source_options co;
        co.client = bc.client;
        co.topics = {"bench-models"};
        kafka::control_source<> models(co);
        kafka::data_source_options dopt;
        dopt.client = bc.client;
        dopt.group_id = "bench-" + std::to_string(++group_counter);  // a new group reads from the start
        dopt.topics = {"bench-data"};
        kafka::data_source<io::row> data(dopt, kafka::csv_decoder(csv_options()));
        data.start_after(models);
        kafka::sink_options so;
        so.client = bc.client;
        so.topic = "bench-results";
        model_join_options jo;
        jo.control_check_every = static_cast<std::size_t>(state.range(0));
        auto p = std::move(data) | join(std::move(models), registry, jo) | score(score_options{0}) |
                 sink(kafka::result_sink<io::row>(so));
        while (p.counters().records_out == 0) p.poll(1);
        state.ResumeTiming();
        const double c0 = process_cpu_seconds();
        const auto t0 = clock_type::now();
        while (p.counters().records_out < records) p.poll(4096);
        const auto t1 = clock_type::now();
        p.finish();  // waits for every delivery report
        cpu_s += process_cpu_seconds() - c0;
        loop_s += std::chrono::duration<double>(t1 - t0).count();
        flush_s += std::chrono::duration<double>(clock_type::now() - t1).count();
        p.source().commit(true);
        state.PauseTiming();
        p.source().close();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
    state.counters["score_loop_ms"] = 1000 * loop_s / static_cast<double>(state.iterations());
    state.counters["final_acks_ms"] = 1000 * flush_s / static_cast<double>(state.iterations());
    report_process_cpu(state, cpu_s);
}
BENCHMARK(BM_serve_topic_to_topic)
    ->Arg(1)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// The model alone: the same records, decoded beforehand, through join | score in memory (no Kafka).
// What the serving loop costs beyond this is the connector's.
void BM_score_only(benchmark::State& state) {
    ModelRegistry registry;
    pmml::register_pmml(registry);
    kafka::csv_decoder decode(csv_options());
    std::vector<kafka::record<io::row>> rows(records);
    std::mt19937 rng(1);
    std::string why;
    for (std::size_t i = 0; i < records; ++i) {
        const std::string line = csv_line(rng, i);
        kafka::message_view m;
        m.payload = line;
        decode(m, rows[i].value, why);
    }
    std::size_t scored = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto input = rows;
        scored = 0;
        auto p = from(std::move(input)) |
                 join(from(std::vector<ModelDescriptor>{forest_descriptor()}), registry) |
                 score(score_options{0}) | sink([&](const Scored<kafka::record<io::row>>& s) {
                     scored += s.status == score_status::scored ? 1 : 0;
                 });
        state.ResumeTiming();
        p.run();
    }
    if (scored != records) state.SkipWithError("not every record was scored");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}
BENCHMARK(BM_score_only)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Latency at a fixed input rate: the producer stamps each record's key with its send time; the
// reader takes the result's key (the input key) and its own clock.
void BM_end_to_end_latency(benchmark::State& state) {
    auto& bc = shared();
    const double rate = static_cast<double>(state.range(0));
    const std::size_t n = static_cast<std::size_t>(rate * 5);  // five seconds of traffic
    const std::size_t warmup = n / 10;
    // Producers (the input's and the result sink's) batch for up to this long before sending.
    const std::string linger = std::to_string(state.range(1));
    ModelRegistry registry;
    pmml::register_pmml(registry);
    latency_histogram hist;
    const std::string topic = "latency-data-" + std::to_string(state.range(0)) + "-" + linger;
    bc.cluster.create_topic(topic, 1);
    for (auto _ : state) {
        kafka::control_source_options co;
        co.client = bc.client;
        co.topics = {"bench-models"};
        kafka::control_source<> models(co);
        kafka::data_source_options dopt;
        dopt.client = bc.client;
        dopt.group_id = "latency-" + std::to_string(++group_counter);
        dopt.topics = {topic};
        dopt.idle_wait = std::chrono::milliseconds(1);
        // The mock broker holds a fetch for fetch.wait.max.ms when it has no data (500 ms by default).
        dopt.consumer_properties["fetch.wait.max.ms"] = "5";
        kafka::data_source<io::row> data(dopt, kafka::csv_decoder(csv_options()));
        data.start_after(models);
        kafka::sink_options so;
        so.client = bc.client;
        so.topic = "latency-results";
        so.defaults["linger.ms"] = linger;
        auto p = std::move(data) | join(std::move(models), registry) | score(score_options{0}) |
                 sink(kafka::result_sink<io::row>(so));

        // The reader: results from now on.
        kafka::consumer reader(bc.client, "", {{"fetch.wait.max.ms", "1"}});
        std::int64_t low = 0, high = 0;
        std::string err;
        reader.watermarks("latency-results", 0, low, high, 5000, err);
        reader.assign({{"latency-results", 0, high}});

        std::atomic<bool> go{false}, stop{false};
        std::atomic<std::size_t> received{0};
        std::thread producer_thread([&] {
            kafka::producer prod(bc.client, [](void*) {}, {}, {{"linger.ms", linger}});
            std::mt19937 rng(3);
            while (!go) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            const auto start = clock_type::now();
            for (std::size_t i = 0; i < n && !stop; ++i) {
                std::this_thread::sleep_until(start + std::chrono::duration_cast<clock_type::duration>(
                                                          std::chrono::duration<double>(double(i) / rate)));
                const std::string key = std::to_string(clock_type::now().time_since_epoch().count());
                std::string e;
                prod.produce(topic, 0, std::string_view(key), csv_line(rng, i), {}, nullptr, e);
                prod.poll(0);
            }
            prod.flush(30000);
        });
        std::thread reader_thread([&] {
            kafka::message_view m;
            std::string e;
            while (received < n && !stop) {
                if (reader.poll(10, m, e) != kafka::consumer::status::message || !m.key || *m.key == "prime")
                    continue;
                const auto sent = std::stoll(std::string(*m.key));
                const auto now = clock_type::now().time_since_epoch().count();
                if (received++ >= warmup) hist.record(static_cast<std::uint64_t>(now - sent));
            }
        });
        // Join the group and catch up before traffic starts: one priming record must come through.
        {
            kafka::producer prime(bc.client, [](void*) {}, {});
            std::mt19937 rng(5);
            prime.produce(topic, 0, std::string_view("prime"), csv_line(rng, 0), {}, nullptr, err);
            prime.flush(10000);
        }
        const auto ready_by = clock_type::now() + std::chrono::seconds(60);
        while (p.counters().records_out == 0 && clock_type::now() < ready_by) p.poll(16);
        go = true;
        const auto until = clock_type::now() + std::chrono::seconds(60);
        while (received < n && clock_type::now() < until) p.poll(256);
        stop = true;
        producer_thread.join();
        reader_thread.join();
        p.finish();
        p.source().close();
    }
    state.counters["p50_us"] = static_cast<double>(hist.quantile(0.5)) / 1000.0;
    state.counters["p99_us"] = static_cast<double>(hist.quantile(0.99)) / 1000.0;
    state.counters["max_rate"] = rate;
    state.counters["samples"] = static_cast<double>(hist.count());
}
BENCHMARK(BM_end_to_end_latency)
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({5000, 1})
    ->Args({20000, 1})
    ->ArgNames({"rate", "linger_ms"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
