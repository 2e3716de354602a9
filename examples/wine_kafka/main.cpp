// wine_kafka: the seeds' log-centric demo end to end. Records, models and results all live in Kafka
// topics; four actors run side by side, each with its own Kafka clients:
//
//   producer   --wine (CSV lines)-------------------------------+
//   publisher  --wine-models (ModelDescriptor, PMML)------------+--> serving: join | score --wine-scored-->
//   reader (retrains on the recent records it reads from `wine`)       |          (at-least-once, dead
//   letters to
//                                                                            wine-dead-letters)
//
// Without --brokers everything runs on an embedded cluster (librdkafka's mock brokers on loopback);
// with --brokers it uses a real cluster, whose topics must exist.
//
// Usage: wine_kafka [--brokers HOST:PORT] [--records N] [--rate R] [--publish-every SECONDS] ...
#include "wine_data.hpp"

#include <scorestream/kafka/kafka.hpp>
#include <scorestream/pmml/pmml.hpp>
#include <scorestream/scorestream.hpp>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace scorestream;
using clock_type = std::chrono::steady_clock;

namespace {

std::atomic<bool> interrupted{false};
void on_signal(int) { interrupted = true; }

struct options {
    std::string brokers;
    std::size_t records = 20000;
    double rate = 1000;          // records per second
    double publish_every = 1.0;  // seconds between retrained models
    std::size_t window = 1500;   // samples a model is trained on
    std::size_t drift_every = 6000;
    int partitions = 2;
    std::string topic = "wine", models = "wine-models", scored = "wine-scored", dead = "wine-dead-letters";
};

std::vector<std::string> columns() {
    std::vector<std::string> c{"id"};
    for (const auto& f : wine::feature_names()) c.push_back(f);
    c.push_back("quality");
    return c;
}

kafka::csv_decoder decoder() {
    kafka::csv_decoder_options o;
    o.columns = columns();
    o.data_type = "wine";
    o.numeric_columns = o.columns;
    return kafka::csv_decoder(o);
}

ModelDescriptor descriptor(const std::string& version, std::string pmml) {
    ModelDescriptor d;
    d.set_name("quality");
    d.set_version(version);
    d.set_data_type("wine");
    d.set_model_type(proto::PMML);
    d.set_description("least squares on the latest records");
    d.set_created_at_ms(now_ms());
    d.set_data(std::move(pmml));
    return d;
}

void say(const char* who, const std::string& what) {
    static std::mutex m;
    std::lock_guard<std::mutex> lock(m);
    std::printf("%-9s %s\n", who, what.c_str());
    std::fflush(stdout);
}

// The upstream system: drifting wine samples as CSV lines, at a fixed rate.
void run_producer(const kafka::client_config& c, const options& o) {
    std::size_t failures = 0;
    kafka::producer p(
        c, [](void*) {},
        [&](const std::string&, const std::string& what) {
            ++failures;
            say("producer", what);
        });
    wine::generator gen(42, o.drift_every);
    const auto start = clock_type::now();
    char buf[32];
    std::string line;
    for (std::size_t i = 0; i < o.records && !interrupted; ++i) {
        if (i % o.drift_every == 0 && i > 0)
            say("producer", "record " + std::to_string(i) + ": the taste drifts");
        const auto s = gen.next();
        line = std::to_string(i);
        for (double x : s.features) {
            std::snprintf(buf, sizeof buf, ",%.6g", x);
            line += buf;
        }
        std::snprintf(buf, sizeof buf, ",%.4f", s.quality);
        line += buf;
        std::string err;
        const std::string key = std::to_string(i);
        if (!p.produce(o.topic, -1, std::string_view(key), line, {}, nullptr, err)) say("producer", err);
        p.poll(0);
        std::this_thread::sleep_until(start + std::chrono::duration_cast<clock_type::duration>(
                                                  std::chrono::duration<double>(double(i + 1) / o.rate)));
    }
    p.flush(30000);
    say("producer", "done: " + std::to_string(o.records) + " records on '" + o.topic + "'");
}

// Retrains on the latest records it reads from the data topic, publishes every publish_every seconds.
void run_publisher(const kafka::client_config& c, const options& o, std::atomic<bool>& done,
                   std::atomic<int>& published) {
    kafka::model_publisher pub(c, o.models);
    {
        // The first model, trained on historical samples from before the stream starts.
        wine::generator history(7, o.drift_every * 1000);
        std::vector<wine::sample> past(1000);
        for (auto& s : past) s = history.next();
        pub.publish(descriptor("1", wine::train_pmml(past, "quality", "1")));
        published = 1;
        say("publisher", "published quality@1 (trained on history)");
    }
    // Reads every partition itself (no group to join: it starts at once).
    kafka::consumer cons(c, "");
    {
        std::string err;
        int n = -1;
        while ((n = cons.partition_count(o.topic, 2000, err)) < 0 && !done && !interrupted)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::vector<kafka::topic_partition> tps;
        for (int p = 0; p < n; ++p) tps.push_back({o.topic, p, kafka::offset_beginning});
        cons.assign(tps);
    }
    auto decode = decoder();
    std::deque<wine::sample> window;
    std::size_t fresh = 0;
    auto next = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                        std::chrono::duration<double>(o.publish_every));
    io::row r;
    while (!done && !interrupted) {
        kafka::message_view m;
        std::string err;
        if (cons.poll(20, m, err) == kafka::consumer::status::message) {
            std::string why;
            if (decode(m, r, why)) {
                wine::sample s;
                for (std::size_t i = 1; i + 1 < r.size(); ++i) s.features.push_back(r[i].as_number());
                s.quality = r[r.size() - 1].as_number();
                window.push_back(std::move(s));
                ++fresh;
                if (window.size() > o.window) window.pop_front();
            }
        }
        if (clock_type::now() >= next && fresh >= o.window / 4) {
            next = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                           std::chrono::duration<double>(o.publish_every));
            const std::string v = std::to_string(published + 1);
            pub.publish(descriptor(v, wine::train_pmml({window.begin(), window.end()}, "quality", v)));
            published = published + 1;
            fresh = 0;
            say("publisher", "published quality@" + v + " (trained on the last " +
                                 std::to_string(window.size()) + " records)");
        }
    }
    cons.close();
}

// Reads the results and the data they refer to; shows which model version answered, and how well.
struct reader_report {
    std::size_t results = 0, scored = 0, unscored = 0, failed = 0;
    std::vector<std::string> order;
    std::map<std::string, std::pair<std::size_t, double>> by_version;  // records, sum |error|
};

void run_reader(const kafka::client_config& c, const options& o, reader_report& rep) {
    auto assign_all = [&](kafka::consumer& k, const std::string& topic) {
        std::string err;
        int n = -1;
        while ((n = k.partition_count(topic, 2000, err)) < 0 && !interrupted)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::vector<kafka::topic_partition> tps;
        for (int p = 0; p < n; ++p) tps.push_back({topic, p, kafka::offset_beginning});
        k.assign(tps);
    };
    kafka::consumer results(c, ""), data(c, "");
    assign_all(results, o.scored);
    assign_all(data, o.topic);
    std::map<std::string, double> quality;  // "topic/partition/offset" -> the true quality
    std::deque<proto::ScoredResult> waiting;
    auto decode = decoder();
    auto last_line = clock_type::now();
    io::row r;
    proto::ScoredResult res;
    while (rep.results < o.records && !interrupted) {
        kafka::message_view m;
        std::string err;
        while (data.poll(0, m, err) == kafka::consumer::status::message) {
            std::string why;
            if (decode(m, r, why))
                quality[std::string(m.topic) + "/" + std::to_string(m.partition) + "/" +
                        std::to_string(m.offset)] = r[r.size() - 1].as_number();
        }
        if (results.poll(20, m, err) == kafka::consumer::status::message &&
            res.ParseFromArray(m.payload.data(), int(m.payload.size())))
            waiting.push_back(res);
        while (!waiting.empty()) {
            const auto& x = waiting.front();
            auto q = quality.find(x.record_key());
            if (q == quality.end()) break;  // its data record is not read yet
            ++rep.results;
            if (!x.error().empty()) {
                ++(x.model_name().empty() ? rep.unscored : rep.failed);
            } else {
                ++rep.scored;
                // Partitions are read side by side, so versions interleave around a swap: report each
                // version the first time it answers.
                if (rep.by_version.count(x.model_version()) == 0) {
                    rep.order.push_back(x.model_version());
                    say("reader", "result " + std::to_string(rep.results) + ": first answer by quality@" +
                                      x.model_version());
                }
                auto& v = rep.by_version[x.model_version()];
                ++v.first;
                v.second += std::abs(x.number() - q->second);
            }
            quality.erase(q);
            waiting.pop_front();
        }
        if (clock_type::now() - last_line > std::chrono::seconds(2)) {
            last_line = clock_type::now();
            say("reader", std::to_string(rep.results) + " results so far");
        }
    }
}

}  // namespace

int main(int argc, char** argv) try {
    options o;
    CLI::App app{"scorestream wine_kafka: log-centric model serving on Kafka topics"};
    app.add_option("--brokers", o.brokers, "a real cluster (default: an embedded one on loopback)");
    app.add_option("--records", o.records, "records to produce and serve")->capture_default_str();
    app.add_option("--rate", o.rate, "records per second")->capture_default_str();
    app.add_option("--publish-every", o.publish_every, "seconds between retrained models")
        ->capture_default_str();
    app.add_option("--window", o.window, "records a model is trained on")->capture_default_str();
    app.add_option("--drift-every", o.drift_every, "records between changes of taste")->capture_default_str();
    app.add_option("--partitions", o.partitions, "partitions of the embedded cluster's topics")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    std::optional<kafka::embedded_cluster> cluster;
    if (o.brokers.empty()) {
        cluster.emplace();
        for (const auto& t : {o.topic, o.scored}) cluster->create_topic(t, o.partitions);
        for (const auto& t : {o.models, o.dead}) cluster->create_topic(t, 1);
        o.brokers = cluster->bootstrap_servers();
    }
    kafka::client_config c;
    c.brokers = o.brokers;
    c.client_id = "wine_kafka";
    std::printf("scorestream wine_kafka on %s%s\n  %s -> [%s] -> %s\n\n", o.brokers.c_str(),
                cluster ? " (embedded cluster)" : "", o.topic.c_str(), o.models.c_str(), o.scored.c_str());

    std::atomic<bool> done{false};
    std::atomic<int> published{0};
    reader_report report;
    std::thread publisher([&] {
        try {
            run_publisher(c, o, done, published);
        } catch (const std::exception& e) {
            say("publisher", std::string("stopped: ") + e.what());
        }
    });
    std::thread producer([&] { run_producer(c, o); });
    std::thread reader([&] { run_reader(c, o, report); });

    // The serving pipeline: data joined with the models of the control topic, scored, written back.
    ModelRegistry registry;
    pmml::register_pmml(registry);
    kafka::control_source_options co;
    co.client = c;
    co.topics = {o.models};
    kafka::control_source<> models(co);
    kafka::data_source_options dopt;
    dopt.client = c;
    dopt.group_id = "wine-scorers";
    dopt.topics = {o.topic};
    dopt.dead_letter_topic = o.dead;
    kafka::data_source<io::row> data(dopt, decoder());
    data.start_after(models);
    kafka::sink_options so;
    so.client = c;
    so.topic = o.scored;
    model_join_options jo;
    jo.policy = before_state::hold;  // records wait (offsets uncommitted) until the first model arrives
    jo.max_held = 100000;
    auto p = std::move(data) | join(std::move(models), registry, jo) | score() |
             sink(kafka::result_sink<io::row>(so));
    p.on_error([](error_kind kind, const record_error& e) {
        say("serving", std::string(to_string(kind)) + ": " + e.to_string());
    });
    while (!interrupted && p.counters().records_out < o.records) p.poll(256);
    p.finish();
    p.source().close();
    say("serving",
        "served " + std::to_string(p.counters().records_out) + " records, committed, left the group");
    producer.join();
    reader.join();
    done = true;
    publisher.join();

    std::printf("\n%-12s %8s %14s\n", "model", "records", "mean |error|");
    for (const auto& v : report.order) {
        const auto& [n, err] = report.by_version[v];
        std::printf("quality@%-4s %8zu %14.4f\n", v.c_str(), n, n ? err / double(n) : 0.0);
    }
    std::printf("\n%zu records: %zu scored, %zu unscored, %zu failed; %d models published\n", report.results,
                report.scored, report.unscored, report.failed, published.load());
    return interrupted || report.results != o.records ? 1 : 0;
} catch (const std::exception& e) {
    std::cerr << "wine_kafka: " << e.what() << '\n';
    return 1;
}
