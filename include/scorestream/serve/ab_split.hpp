#pragma once
// A/B split: each record is answered by one arm, chosen by weight and sticky by key.
//
//     serve::ab_split ab;
//     ab.arms = {{"a", 90}, {"b", 10}};
//     ab.key_field = "customer";
//     join(models, registry, ab) | serve::score()
//
// The record's key (the field `key_field`, read through record_traits, resolved once per record
// layout) is hashed to a point in [0, 1); the arms, in order, cover consecutive shares of [0, 1)
// proportional to their weights. The same key always lands on the same arm while the weights stay;
// when they change, only keys whose point lies in a share that moved switch arms. Numbers hash by
// value, strings by text, a missing key like an empty string. Without key_field (or when the
// record layout lacks it) records are spread by their sequence number: weighted, not sticky.
//
// Weights change on the control stream: weights_descriptor("wine", {{"a", 50}, {"b", 50}}), i.e. a
// "serve.config" message "weights a=50 b=50". Arms not named get weight 0; unknown arms, negative
// or non-finite weights, or all zero are rejected and the old weights stay.
//
// An arm with no model yet is skipped: the record goes to the first arm, in order, that has one,
// and answered_by says so: "arm a (arm b has no model)". Otherwise answered_by is "arm b". Per-arm
// counts are strategy_stats::members[i].answered.
// Per record: no heap allocation.
// Thread-safety: the engine belongs to one pipeline thread.

#include <scorestream/error.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/serve/score.hpp>
#include <scorestream/serve/scorer.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::serve {

class ab_split_engine;

struct ab_split {
    using engine = ab_split_engine;

    std::vector<std::pair<std::string, double>> arms;  ///< role and weight (any scale), in order
    std::string key_field;                             ///< the record field that keeps a key on its arm
};

class ab_split_engine : public engine_base {
public:
    static constexpr const char* kind = "ab_split";

    explicit ab_split_engine(ab_split ab) : opts_(std::move(ab)) {
        if (opts_.arms.size() < 2)
            throw invalid_value_error("serve::ab_split needs two or more arms, got " +
                                      std::to_string(opts_.arms.size()));
        double total = 0;
        for (std::size_t i = 0; i < opts_.arms.size(); ++i) {
            const auto& [role, w] = opts_.arms[i];
            for (std::size_t k = 0; k < i; ++k)
                if (opts_.arms[k].first == role)
                    throw invalid_value_error("serve::ab_split: arm '" + role + "' twice");
            if (!(w >= 0) || !std::isfinite(w))
                throw invalid_value_error("serve::ab_split: arm '" + role +
                                          "' has a negative or non-finite weight");
            total += w;
            roles_.push_back(role);
        }
        if (!(total > 0)) throw invalid_value_error("serve::ab_split: every weight is zero");
    }

    const std::vector<std::string>& roles() const noexcept { return roles_; }

    void init(group<ab_split_engine>& g) {
        for (std::size_t i = 0; i < g.members.size(); ++i) g.members[i].weight = opts_.arms[i].second;
    }

    /// "weights a=70 b=30": the new split for this data type.
    update_result configure(group<ab_split_engine>& g, std::string_view text) {
        std::vector<double> w(g.members.size(), 0.0);
        std::size_t pos = 0;
        auto next_word = [&]() -> std::string_view {
            while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t')) ++pos;
            const std::size_t start = pos;
            while (pos < text.size() && text[pos] != ' ' && text[pos] != '\n' && text[pos] != '\t') ++pos;
            return text.substr(start, pos - start);
        };
        if (next_word() != "weights") return reject("expected 'weights <arm>=<weight> ...'");
        double total = 0;
        for (std::string_view word = next_word(); !word.empty(); word = next_word()) {
            const auto eq = word.find('=');
            if (eq == std::string_view::npos)
                return reject("expected <arm>=<weight>, got '" + std::string(word) + "'");
            const std::string_view arm = word.substr(0, eq), num = word.substr(eq + 1);
            member* m = g.find(arm);
            if (m == nullptr)
                return reject("unknown arm '" + std::string(arm) + "' (arms: " + detail::role_list(roles_) +
                              ")");
            double x = 0;
            const auto r = std::from_chars(num.data(), num.data() + num.size(), x);
            if (r.ec != std::errc() || r.ptr != num.data() + num.size() || !std::isfinite(x) || x < 0)
                return reject("arm '" + std::string(arm) + "': weight '" + std::string(num) +
                              "' is not a non-negative number");
            w[static_cast<std::size_t>(m - g.members.data())] = x;
            total += x;
        }
        if (!(total > 0)) return reject("every weight is zero");
        for (std::size_t i = 0; i < w.size(); ++i) g.members[i].weight = w[i];
        return accept();
    }

    template <class T>
    void serve(group<ab_split_engine>& g, Scored<T>& out, member_scorer& sc) {
        member* arm = &g.members[pick(g, key_point(out.record))];
        member* chosen = arm;
        if (!arm->installed()) {
            ++g.counters(*arm).absent;
            chosen = nullptr;
            for (auto& m : g.members)
                if (m.installed()) {
                    chosen = &m;
                    break;
                }
            if (chosen == nullptr) {  // weights arrived before any arm's model
                out.answered_by.assign("no arm");
                member_scorer::no_answer(out, score_status::no_model, "ab_split: no arm has a model");
                return;
            }
        }
        if (!sc.score(*chosen, out.record)) ++g.counters(*chosen).failed;
        member_scorer::answer(out, *chosen);
        ++g.counters(*chosen).answered;
        out.answered_by.assign("arm ");
        out.answered_by.append(chosen->role);
        if (chosen != arm) out.answered_by.append(" (arm ").append(arm->role).append(" has no model)");
    }

    /// Where a key falls in [0, 1): the same key, the same point (exposed for tests and tools).
    static double point_of(const Value& key) noexcept {
        std::uint64_t h;
        if (key.is_number()) {
            double x = key.as_number();
            if (x == 0) x = 0;  // -0 and 0 are one key
            std::memcpy(&h, &x, sizeof h);
        } else {
            h = 0xcbf29ce484222325ULL;  // FNV-1a over the text
            for (const char c : key.text()) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
        }
        return static_cast<double>(splitmix(h) >> 11) * 0x1.0p-53;
    }

private:
    static std::uint64_t splitmix(std::uint64_t x) noexcept {
        x += 0x9e3779b97f4a7c15ULL;  // so that 0 does not stay 0
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
    }

    template <class T>
    double key_point(const T& r) {
        if (opts_.key_field.empty()) return sequence_point();
        const void* schema = record_traits<T>::schema(r);
        if (schema != key_schema_) {
            key_schema_ = schema;
            key_index_ = record_traits<T>::field_index(r, opts_.key_field);
        }
        if (!key_index_) return sequence_point();
        return point_of(record_traits<T>::field(r, *key_index_));
    }

    // The golden-ratio sequence: evenly spread points for records without a key.
    double sequence_point() noexcept {
        seq_ += 0.6180339887498949;
        if (seq_ >= 1) seq_ -= 1;
        return seq_;
    }

    static std::size_t pick(const group<ab_split_engine>& g, double point) noexcept {
        double total = 0;
        for (const auto& m : g.members) total += m.weight;
        double edge = 0;
        std::size_t last = 0;
        for (std::size_t i = 0; i < g.members.size(); ++i) {
            if (g.members[i].weight <= 0) continue;
            last = i;
            edge += g.members[i].weight / total;
            if (point < edge) return i;
        }
        return last;  // rounding at the top end
    }

    ab_split opts_;
    std::vector<std::string> roles_;
    const void* key_schema_ = nullptr;
    std::optional<std::size_t> key_index_;
    double seq_ = 0;
};

}  // namespace scorestream::serve
