// thermostat_kafka: the seeds' temperature control on Kafka topics, on the same join as model
// serving. Simulated rooms publish sensor readings and obey heater commands; desired temperatures
// arrive as control messages; the pipeline joins the two and emits heater on/off commands.
//
//   rooms --thermo-readings (JSON)--> data_source | join<setting>(settings) | controller --thermo-commands-->
//   rooms main  --thermo-settings (JSON)--> control_source<setting>
//
// The join logic is examples/thermostat's (apply_setting, by_sensor, controller). Commands are
// written at-least-once: a reading's offset is committed once the command it caused (if any) is
// acknowledged. Without --brokers everything runs on an embedded cluster.
#include "thermostat.hpp"

#include <scorestream/kafka/kafka.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>

using namespace scorestream;
using namespace thermostat;

namespace {

const char* readings_topic = "thermo-readings";
const char* settings_topic = "thermo-settings";
const char* commands_topic = "thermo-commands";

bool decode_reading(const kafka::message_view& m, reading& out, std::string& why) {
    auto j = nlohmann::json::parse(m.payload.begin(), m.payload.end(), nullptr, false);
    if (!j.is_object() || !j.contains("sensor") || !j["sensor"].is_string() || !j.contains("celsius") ||
        !j["celsius"].is_number()) {
        why = "expected {\"sensor\": string, \"celsius\": number}";
        return false;
    }
    out.sensor = j["sensor"].get<std::string>();
    out.celsius = j["celsius"].get<double>();
    return true;
}

bool decode_setting(const kafka::message_view& m, setting& out, std::string& why) {
    auto j = nlohmann::json::parse(m.payload.begin(), m.payload.end(), nullptr, false);
    if (!j.is_object() || !j.contains("sensor") || !j["sensor"].is_string() || !j.contains("desired") ||
        !j["desired"].is_number()) {
        why = "expected {\"sensor\": string, \"desired\": number[, \"up\", \"down\"]}";
        return false;
    }
    out.sensor = j["sensor"].get<std::string>();
    out.desired = j["desired"].get<double>();
    out.up = j.value("up", 0.5);
    out.down = j.value("down", 0.5);
    return true;
}

std::string setting_json(const std::string& sensor, double desired) {
    return nlohmann::json{{"sensor", sensor}, {"desired", desired}, {"up", 0.5}, {"down", 0.5}}.dump();
}

void encode_command(const kafka::tracked<command>& c, kafka::outgoing& out) {
    out.key = c.value.sensor;
    out.payload = nlohmann::json{{"sensor", c.value.sensor},
                                 {"heater", c.value.state == heater::on ? "on" : "off"},
                                 {"celsius", c.value.celsius},
                                 {"desired", c.value.desired}}
                      .dump();
}

}  // namespace

int main(int argc, char** argv) try {
    std::string brokers;
    int ticks = 400;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--brokers")
            brokers = argv[i + 1];
        else if (a == "--ticks")
            ticks = std::max(1, std::atoi(argv[i + 1]));
        else {
            std::fprintf(stderr, "usage: thermostat_kafka [--brokers HOST:PORT] [--ticks N]\n");
            return 2;
        }
    }
    std::optional<kafka::embedded_cluster> cluster;
    if (brokers.empty()) {
        cluster.emplace();
        for (const char* t : {readings_topic, settings_topic, commands_topic}) cluster->create_topic(t, 1);
        brokers = cluster->bootstrap_servers();
    }
    kafka::client_config c;
    c.brokers = brokers;
    c.client_id = "thermostat_kafka";

    kafka::model_publisher settings(c, settings_topic);
    settings.publish("kitchen", setting_json("kitchen", 21.0));
    settings.publish("attic", setting_json("attic", 16.0));

    // The rooms: warm 0.1 C per tick while heated, cool 0.05 C otherwise; they obey the commands topic.
    std::atomic<int> tick{0};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> served{0};  // readings the pipeline has taken, for the rooms to wait on
    std::thread rooms([&] {
        kafka::producer out(
            c, [](void*) {},
            [](const std::string&, const std::string& what) {
                std::fprintf(stderr, "rooms: %s\n", what.c_str());
            });
        kafka::consumer commands(c, "");
        commands.assign({{commands_topic, 0, kafka::offset_beginning}});
        std::map<std::string, double> temperature{{"kitchen", 18.0}, {"attic", 17.0}};
        std::map<std::string, bool> heating{{"kitchen", false}, {"attic", false}};
        for (int t = 1; t <= ticks && !stop; ++t) {
            for (auto& [room, celsius] : temperature) {
                celsius += heating[room] ? 0.1 : -0.05;
                const std::string payload =
                    nlohmann::json{{"sensor", room}, {"celsius", std::round(celsius * 100) / 100}}.dump();
                std::string err;
                out.produce(readings_topic, -1, std::string_view(room), payload, {}, nullptr, err);
            }
            out.poll(0);
            tick = t;
            if (t == 1) {
                // Let the controller join the group and catch up before the rooms go on, so the loop
                // rooms -> readings -> commands -> rooms is closed from the first tick on.
                out.flush(30000);
                const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
                while (served < 2 && !stop && std::chrono::steady_clock::now() < limit)
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            // A tick lasts 5 ms; commands that arrive meanwhile switch the heaters.
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
            kafka::message_view m;
            std::string err;
            while (std::chrono::steady_clock::now() < until)
                if (commands.poll(1, m, err) == kafka::consumer::status::message) {
                    auto j = nlohmann::json::parse(m.payload.begin(), m.payload.end(), nullptr, false);
                    if (j.is_object() && j.contains("sensor") && j.contains("heater"))
                        heating[j["sensor"].get<std::string>()] = j["heater"] == "on";
                }
        }
        out.flush(30000);
    });

    kafka::control_source_options co;
    co.client = c;
    co.topics = {settings_topic};
    kafka::control_source<setting> control(co, decode_setting);
    kafka::data_source_options dopt;
    dopt.client = c;
    dopt.group_id = "thermostat";
    dopt.topics = {readings_topic};
    kafka::data_source<reading> readings(dopt, decode_reading);
    readings.start_after(control);
    kafka::sink_options so;
    so.client = c;
    so.topic = commands_topic;

    int commands_sent = 0;
    auto p = std::move(readings) | join<setting>(std::move(control), apply_setting, by_sensor()) |
             map([ctl = controller{}](Joined<kafka::record<reading>, setting>&& j) mutable
                 -> std::optional<kafka::tracked<command>> {
                 auto c = ctl(Joined<reading, setting>{j.record.value, j.state, j.reason, j.key});
                 if (!c) return std::nullopt;  // no command: the reading is done when the next one comes
                 return kafka::tracked<command>{*c, std::move(j.record.ref)};  // done once delivered
             }) |
             filter([](const std::optional<kafka::tracked<command>>& c) { return c.has_value(); }) |
             map([&](std::optional<kafka::tracked<command>>&& c) {
                 ++commands_sent;
                 std::printf("tick %3d  %-7s %.2f C  desired %.1f C  heater %s\n", tick.load(),
                             c->value.sensor.c_str(), c->value.celsius, c->value.desired,
                             c->value.state == heater::on ? "ON" : "off");
                 return std::move(*c);
             }) |
             sink(kafka::topic_sink<kafka::tracked<command>>(so, encode_command));

    bool published = false;
    const std::uint64_t readings_total = 2ull * static_cast<std::uint64_t>(ticks);
    while (p.counters().records_in < readings_total) {
        p.poll(16);
        served = p.counters().records_in;
        if (!published && tick >= ticks / 2) {
            std::printf("tick %3d  control: kitchen desired temperature now 19.0 C\n", tick.load());
            settings.publish("kitchen", setting_json("kitchen", 19.0));
            published = true;
        }
    }
    p.finish();
    p.source().close();
    stop = true;
    rooms.join();
    std::printf(
        "%d heater commands for %llu readings; %llu settings applied\n", commands_sent,
        static_cast<unsigned long long>(p.counters().records_in),
        static_cast<unsigned long long>(p.counters().control_messages - p.counters().rejected_updates));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "thermostat_kafka: %s\n", e.what());
    return 1;
}
