#pragma once
// The thermostat: sensor readings joined with a slow stream of desired-temperature settings,
// emitting heater on/off commands. The same dynamic-control join that serves models; here the
// state is a plain setting per sensor.
//
//     readings | join<setting>(settings, apply_setting, by_sensor) | map(decide) | filter(...) | sink
//
// A heater is turned on when a reading falls below desired - down, off when it rises above
// desired + up, and otherwise left as it is; a command is emitted only when it changes.

#include <scorestream/scorestream.hpp>

#include <map>
#include <optional>
#include <string>

namespace thermostat {

struct reading {
    std::string sensor;
    double celsius = 0;
};

/// Control message: the wanted temperature of one sensor's room, with a dead band.
struct setting {
    std::string sensor;
    double desired = 20;
    double up = 0.5;    ///< switch off above desired + up
    double down = 0.5;  ///< switch on below desired - down
};

enum class heater { on, off };

struct command {
    std::string sensor;
    heater state = heater::off;
    double celsius = 0;  ///< the reading that triggered it
    double desired = 0;
};

/// Applies a setting; refuses nonsense so a bad control message never changes a room.
inline scorestream::update_result apply_setting(setting& current, setting&& next) {
    if (next.up < 0 || next.down < 0) return scorestream::reject("dead band must not be negative");
    if (next.desired < -50 || next.desired > 60)
        return scorestream::reject("desired temperature " + std::to_string(next.desired) +
                                   " is out of range");
    current = std::move(next);
    return scorestream::accept();
}

inline auto by_sensor() {
    return scorestream::key_by([](const reading& r) -> const std::string& { return r.sensor; },
                               [](const setting& s) { return s.sensor; });
}

/// Decides the heater state per reading; remembers each heater so it emits only changes.
class controller {
public:
    std::optional<command> operator()(scorestream::Joined<reading, setting>&& j) {
        if (!j.joined()) return std::nullopt;  // no setting for this room yet: leave the heater alone
        const setting& s = *j.state;
        const reading& r = j.record;
        auto& current = heaters_[r.sensor];
        std::optional<heater> wanted;
        if (r.celsius < s.desired - s.down) wanted = heater::on;
        if (r.celsius > s.desired + s.up) wanted = heater::off;
        if (!wanted || (current && *current == *wanted)) return std::nullopt;
        current = wanted;
        return command{r.sensor, *wanted, r.celsius, s.desired};
    }

private:
    std::map<std::string, std::optional<heater>> heaters_;
};

/// The whole pipeline over any reading source and setting source, writing commands to `out`.
template <class Readings, class Settings, class Out>
auto make_pipeline(Readings readings, Settings settings, Out out) {
    using namespace scorestream;
    return std::move(readings) | join<setting>(std::move(settings), apply_setting, by_sensor()) |
           map(controller{}) | filter([](const std::optional<command>& c) { return c.has_value(); }) |
           map([](std::optional<command>&& c) { return *c; }) | sink(std::move(out));
}

}  // namespace thermostat
