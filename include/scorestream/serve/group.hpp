#pragma once
// The state a serving strategy keeps per data type: a group of member models, each with a role
// ("primary", "fallback", "a", "b", ...), each replaced on its own through the control stream.
//
// How a ModelDescriptor addresses a member: its data_type names the group and its name names the
// member, either as the whole name ("primary") or as "role@model-name" ("primary@gbm-large"): the
// part before the first '@' is the role. (The model directory's file convention splits the version
// off at the last '@', so `wine/primary@gbm@7.pmml` is model "primary@gbm" version 7 for role
// "primary".) A descriptor whose role the strategy does not have is rejected, as is one that fails
// to build; either way every member keeps serving what it served.
//
// Strategy configuration travels on the same control stream as a descriptor of custom type
// "serve.config" (see config_descriptor() and weights_descriptor()): it is applied by the strategy,
// not built by the registry.
//
// Per-member serving stats live in the pipeline's serving_stats under "<data_type>/<role>" (model
// history, usage, durations, rejected updates of that member); strategy stats (fallbacks, votes,
// arm counts, agreement) in serve_stats under the data type.
// Thread-safety: a group belongs to one pipeline thread.

#include <scorestream/model/factory.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/model/stats.hpp>
#include <scorestream/serve/stats.hpp>
#include <scorestream/stream/join.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::serve {

/// The custom_type of a control message that configures a strategy instead of carrying a model.
inline constexpr std::string_view config_type = "serve.config";

/// The member role a descriptor addresses: its name up to the first '@', or the whole name.
inline std::string_view role_of(const ModelDescriptor& d) {
    const std::string_view name = d.name();
    const auto at = name.find('@');
    return at == std::string_view::npos ? name : name.substr(0, at);
}

/// True when `d` configures a strategy (custom_type "serve.config") rather than carrying a model.
inline bool is_config(const ModelDescriptor& d) {
    return d.model_type() == proto::CUSTOM && d.custom_type() == config_type;
}

/// A strategy configuration message for `data_type`, e.g. "weights a=70 b=30".
inline ModelDescriptor config_descriptor(std::string data_type, std::string text) {
    ModelDescriptor d;
    d.set_name("config");
    d.set_data_type(std::move(data_type));
    d.set_model_type(proto::CUSTOM);
    d.set_custom_type(std::string(config_type));
    d.set_data(std::move(text));
    return d;
}

/// The A/B weights message: `weights_descriptor("wine", {{"a", 90}, {"b", 10}})`.
inline ModelDescriptor weights_descriptor(std::string data_type,
                                          const std::vector<std::pair<std::string, double>>& weights) {
    std::string text = "weights";
    for (const auto& [arm, w] : weights) {
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, w);
        text += ' ';
        text += arm;
        text += '=';
        text.append(buf, r.ptr);
    }
    return config_descriptor(std::move(data_type), std::move(text));
}

/// One member model of a group, with everything needed to score records with it.
struct member {
    std::string role;
    double weight = 1.0;                       ///< share of traffic (A/B split); other strategies ignore it
    ModelPtr model;                            ///< null until the first update for this role is accepted
    data_type_stats* stats = nullptr;          ///< this member's stats: serving_stats "<data_type>/<role>"
    model_stats* current = nullptr;            ///< stats of `model`
    feature_binding binding;                   ///< the model's inputs resolved against the last layout seen
    std::vector<Value> row;                    ///< the feature row, refilled per record
    Prediction answer;                         ///< this member's answer for the current record (owns scratch)
    std::vector<std::size_t> quality_outputs;  ///< outputs read by the best-quality strategy
    std::chrono::nanoseconds duration{0};      ///< time of the last scored record (0 when not timed)

    bool installed() const noexcept { return model != nullptr; }
};

/// The members of one data type and the engine serving them.
template <class Engine>
struct group {
    std::string data_type;
    std::vector<member> members;      ///< in the strategy's member order, fixed when the group is made
    strategy_stats* stats = nullptr;  ///< in serve_stats
    Engine* engine = nullptr;         ///< shared by every group of one join
    std::shared_ptr<Engine> keep;     ///< keeps the engine alive as long as the group

    member* find(std::string_view role) noexcept {
        for (auto& m : members)
            if (m.role == role) return &m;
        return nullptr;
    }
    member_counters& counters(const member& m) noexcept {
        return stats->members[static_cast<std::size_t>(&m - members.data())];
    }
};

/// Base of every strategy engine: the defaults for the optional hooks.
class engine_base {
public:
    /// A "serve.config" message; strategies without run-time configuration refuse it.
    template <class G>
    update_result configure(G&, std::string_view) {
        return reject("this strategy has no run-time configuration");
    }
    /// Called when a member's new model is installed (before it serves).
    void installed(member&) {}
};

namespace detail {

/// Appends a number in its shortest exact form ("0.93", "2", "1e-05").
inline void append_number(std::string& s, double x) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    s.append(buf, r.ptr);
}
inline void append_count(std::string& s, std::uint64_t n) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, n);
    s.append(buf, r.ptr);
}
/// "2ms", "250us", "1500ns", "3s": the largest unit that divides the duration.
inline void append_duration(std::string& s, std::chrono::nanoseconds d) {
    const auto ns = static_cast<std::uint64_t>(d.count());
    if (ns != 0 && ns % 1000000000 == 0) {
        append_count(s, ns / 1000000000);
        s += 's';
    } else if (ns != 0 && ns % 1000000 == 0) {
        append_count(s, ns / 1000000);
        s += "ms";
    } else if (ns != 0 && ns % 1000 == 0) {
        append_count(s, ns / 1000);
        s += "us";
    } else {
        append_count(s, ns);
        s += "ns";
    }
}
inline std::string role_list(const std::vector<std::string>& roles) {
    std::string s;
    for (const auto& r : roles) s += (s.empty() ? "'" : ", '") + r + "'";
    return s;
}
}  // namespace detail

}  // namespace scorestream::serve
