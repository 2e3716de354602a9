// Thermostat example: a simulated room whose heater is driven by the pipeline, while the desired
// temperature is changed on the control stream mid-stream.
#include "thermostat.hpp"

#include <cmath>
#include <cstdio>

int main() {
    using namespace thermostat;
    scorestream::control_queue<setting> settings;
    settings.push({"kitchen", 21.0, 0.5, 0.5});

    // The room warms 0.1 degrees per tick while the heater is on and cools 0.05 while it is off.
    double temperature = 18.0;
    bool heating = false;
    int tick = 0;
    auto readings = scorestream::generate([&]() -> std::optional<reading> {
        if (tick == 400) return std::nullopt;
        ++tick;
        temperature += heating ? 0.1 : -0.05;
        return reading{"kitchen", std::round(temperature * 100) / 100};
    });

    int commands = 0;
    auto p = make_pipeline(std::move(readings), settings.source(), [&](const command& c) {
        heating = c.state == heater::on;
        ++commands;
        std::printf("tick %3d  kitchen %.2f C  desired %.1f C  heater %s\n", tick, c.celsius, c.desired,
                    heating ? "ON" : "off");
    });

    // The caller's own loop: bounded steps, and a new setting published half way.
    bool published = false;
    while (!p.done()) {
        p.poll(10);
        if (tick >= 200 && !published) {
            std::printf("tick %3d  control: desired temperature now 19.0 C\n", tick);
            settings.push({"kitchen", 19.0, 0.5, 0.5});
            published = true;
        }
    }
    std::printf("%d heater commands for %llu readings; %llu settings applied\n", commands,
                static_cast<unsigned long long>(p.counters().records_in),
                static_cast<unsigned long long>(p.counters().control_messages));
    return 0;
}
