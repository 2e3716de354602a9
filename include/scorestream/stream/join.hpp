#pragma once
// join: the dynamic-control join. A fast data stream is joined with a slow control stream: control
// messages update keyed state (a model, a thermostat setting, any user type) and each data record
// is passed on together with the state current for its key at that moment.
//
//     source | join<setting>(control, update, key_by(data_key, control_key)) | map(...) | sink(...)
//
// Ordering: before each data record the join checks its control source (every
// join_options::control_check_every records) and applies up to control_batch messages that are
// available; a message applied there takes effect for every data record read after it.
//
// A record whose key has no state yet follows join_options::before_state: emit it unjoined (state
// == nullptr, with the reason), drop it (counted), or hold it in a bounded buffer until state for
// its key arrives (in arrival order; on overflow the oldest held record is emitted unjoined). When
// the stream ends, held records are emitted unjoined. Nothing is lost silently.
//
// A rejected update (the update function returns reject(...) or throws) leaves the previous state
// in place and is reported to the pipeline's error handler.
// Thread-safety: a join stage belongs to one pipeline thread.

#include <scorestream/detail/bytes.hpp>
#include <scorestream/stream/pipe.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace scorestream {

enum class before_state : std::uint8_t {
    emit,  ///< pass the record on unjoined, with the reason (default)
    drop,  ///< drop it and count it (pipeline_counters::dropped, per data type for models)
    hold,  ///< keep it, up to max_held records, until state for its key arrives
};

enum class unjoined_reason : std::uint8_t {
    none,              ///< joined: state is set
    no_state,          ///< no state for the record's key yet
    hold_overflow,     ///< held, then pushed out by a newer record when the hold buffer was full
    ended_while_held,  ///< held until the stream ended
};

inline const char* to_string(unjoined_reason r) noexcept {
    switch (r) {
        case unjoined_reason::none:
            return "joined";
        case unjoined_reason::no_state:
            return "no state for this key yet";
        case unjoined_reason::hold_overflow:
            return "hold buffer full before state arrived";
        case unjoined_reason::ended_while_held:
            return "stream ended before state arrived";
    }
    return "?";
}

struct join_options {
    before_state policy = before_state::emit;
    std::size_t max_held = 10000;         ///< hold buffer bound (policy hold)
    std::size_t control_check_every = 1;  ///< check the control source before every Nth record
    std::size_t control_batch = 64;       ///< control messages applied per check, at most
    /// Keys with state, at most: an update for a new key beyond this is rejected (reported and
    /// counted as a rejected update), so a control stream of ever-new keys cannot grow the join
    /// without limit. Updates for keys that already have state are always applied.
    std::size_t max_keys = 1000000;
    std::string name = "join";  ///< names this join in error reports
};

/// A data record with the state current for its key (state == nullptr when unjoined).
/// A Joined refers to the record, which the pipeline owns while the Joined is passed down the
/// chain; a stage that keeps anything takes it out (e.g. moves the record into its own output).
/// Keeping a Joined itself beyond the call would leave it referring to a reused record.
template <class T, class S>
struct Joined {
    T& record;
    S* state = nullptr;
    unjoined_reason reason = unjoined_reason::none;
    std::string_view key;  ///< the record's key as text, only when unjoined (for messages)

    bool joined() const noexcept { return state != nullptr; }
};

/// What an update function returns: accepted, or rejected with a reason.
struct update_result {
    bool accepted = true;
    std::string reason;
};
inline update_result accept() { return {}; }
inline update_result reject(std::string reason) { return {false, std::move(reason)}; }

/// The key of an unkeyed join: all records and messages share one state.
struct no_key {
    friend bool operator<(no_key, no_key) noexcept { return false; }
    friend bool operator==(no_key, no_key) noexcept { return true; }
};

template <class DataKey, class ControlKey>
struct key_by_t {
    DataKey data;
    ControlKey control;
};

/// Keys a join: data_key(record) and control_key(message) must give comparable keys.
template <class DataKey, class ControlKey>
key_by_t<std::decay_t<DataKey>, std::decay_t<ControlKey>> key_by(DataKey&& data_key,
                                                                 ControlKey&& control_key) {
    return {std::forward<DataKey>(data_key), std::forward<ControlKey>(control_key)};
}

struct unkeyed {
    template <class T>
    no_key operator()(const T&) const noexcept {
        return {};
    }
};

namespace detail {
template <class A, class B, class = void>
struct has_equal : std::false_type {};
template <class A, class B>
struct has_equal<A, B, std::void_t<decltype(std::declval<const A&>() == std::declval<const B&>())>>
    : std::true_type {};

template <class A, class B>
SCORESTREAM_HOT_INLINE bool keys_equal(const A& a, const B& b) {
    if constexpr (std::is_convertible_v<const A&, std::string_view> &&
                  std::is_convertible_v<const B&, std::string_view>) {
        // Text keys (data types): length first, then the bytes, inline (no call for short keys).
        const std::string_view x(a), y(b);
        return x.size() == y.size() && same_bytes(x.data(), y.data(), x.size());
    } else if constexpr (has_equal<A, B>::value)
        return a == b;
    else
        return !std::less<>{}(a, b) && !std::less<>{}(b, a);
}

template <class K>
std::string key_text(const K& k) {
    if constexpr (std::is_convertible_v<const K&, std::string_view>)
        return std::string(std::string_view(k));
    else
        return {};
}

template <class U, class S, class C, class = void>
struct has_bind_context : std::false_type {};
template <class U, class S, class C>
struct has_bind_context<
    U, S, C, std::void_t<decltype(std::declval<U&>().bind_context(std::declval<pipeline_context&>()))>>
    : std::true_type {};

template <class U, class K, class = void>
struct has_dropped_hook : std::false_type {};
template <class U, class K>
struct has_dropped_hook<U, K, std::void_t<decltype(std::declval<U&>().on_dropped(std::declval<const K&>()))>>
    : std::true_type {};

// Calls update(state, message) and normalizes what it returns; an exception becomes a rejection.
template <class U, class S, class C>
update_result apply_update(U& update, S& state, C&& msg) {
    try {
        using R = std::invoke_result_t<U&, S&, C&&>;
        if constexpr (std::is_void_v<R>) {
            std::invoke(update, state, std::forward<C>(msg));
            return accept();
        } else if constexpr (std::is_same_v<R, bool>) {
            return std::invoke(update, state, std::forward<C>(msg))
                       ? accept()
                       : reject("rejected by the update function");
        } else {
            return std::invoke(update, state, std::forward<C>(msg));
        }
    } catch (const std::exception& e) {
        return reject(e.what());
    } catch (...) {
        return reject("the update function threw a non-standard exception");
    }
}
}  // namespace detail

template <class In, class State, class Control, class Update, class DataKey, class ControlKey, class Next>
class join_stage {
public:
    using control_type = typename Control::value_type;
    using key_type = std::decay_t<std::invoke_result_t<ControlKey&, const control_type&>>;
    using output_type = Joined<In, State>;

    join_stage(Control control, Update update, DataKey data_key, ControlKey control_key, join_options opts,
               Next next, pipeline_context& ctx)
        : control_(std::move(control)),
          update_(std::move(update)),
          data_key_(std::move(data_key)),
          control_key_(std::move(control_key)),
          opts_(std::move(opts)),
          next_(std::move(next)),
          ctx_(&ctx) {
        if (opts_.control_check_every == 0) opts_.control_check_every = 1;
        if (opts_.control_batch == 0) opts_.control_batch = 1;
        until_check_ = opts_.control_check_every;
        if constexpr (detail::has_bind_context<Update, State, control_type>::value) update_.bind_context(ctx);
    }

    SCORESTREAM_HOT_INLINE void push(In&& x) {
        decltype(auto) key = std::invoke(data_key_, std::as_const(x));
        if (State* s = find(key)) {
            next_.push(output_type{x, s, unjoined_reason::none, {}});
            return;
        }
        push_without_state(std::move(x), key);
    }

    SCORESTREAM_HOT_INLINE void poll_control() {
        if (--until_check_ == 0) {
            until_check_ = opts_.control_check_every;
            drain_control();
        }
        next_.poll_control();
    }

    void finish() {
        drain_control();  // what the control stream still has: held records get their chance

        while (!held_.empty()) {
            In x = std::move(held_.front());
            held_.pop_front();
            --ctx_->counters.held;
            auto k = detail::key_text(std::invoke(data_key_, std::as_const(x)));
            emit_unjoined(std::move(x), unjoined_reason::ended_while_held, std::move(k));
        }
        next_.finish();
    }

    /// The state for a key, or nullptr (for tests and queries on the pipeline thread).
    template <class K>
    SCORESTREAM_HOT_INLINE State* find(const K& key) {
        // One-entry cache: streams are usually long runs of one key. (Comparing key addresses
        // instead of contents would be wrong: the pipeline reuses one record object, so different
        // keys can live at the same address.)
        if (cached_ && detail::keys_equal(*cached_key_, key)) return cached_;
        return find_in_table(key);
    }

private:
    template <class K>
    State* find_in_table(const K& key) {
        auto it = table_.find(key);
        if (it == table_.end()) return nullptr;
        cached_key_ = &it->first;
        cached_ = &it->second;
        return cached_;
    }

    // A record whose key has no state yet: the before_state policy.
    template <class K>
    SCORESTREAM_COLD void push_without_state(In&& x, const K& key) {
        switch (opts_.policy) {
            case before_state::emit:
                emit_unjoined(std::move(x), unjoined_reason::no_state, detail::key_text(key));
                break;
            case before_state::drop:
                ++ctx_->counters.dropped;
                on_dropped(key);
                break;
            case before_state::hold:
                if (held_.size() >= opts_.max_held && !held_.empty()) {
                    In oldest = std::move(held_.front());
                    held_.pop_front();
                    --ctx_->counters.held;
                    auto oldest_key = detail::key_text(std::invoke(data_key_, std::as_const(oldest)));
                    emit_unjoined(std::move(oldest), unjoined_reason::hold_overflow, std::move(oldest_key));
                }
                if (opts_.max_held == 0) {
                    emit_unjoined(std::move(x), unjoined_reason::hold_overflow, detail::key_text(key));
                } else {
                    held_.push_back(std::move(x));
                    ++ctx_->counters.held;
                }
                break;
        }
    }

    // Applies up to control_batch control messages that are available now. The usual answer is
    // "nothing": that check stays inline, applying messages does not.
    SCORESTREAM_HOT_INLINE void drain_control() {
        const pull first = control_.next(msg_);
        if (first == pull::idle || first == pull::end) return;
        drain_control_from(first);
    }

    SCORESTREAM_COLD void drain_control_from(pull first) {
        for (std::size_t i = 0; i < opts_.control_batch; ++i) {
            const pull r = i == 0 ? first : control_.next(msg_);
            if (r == pull::item) {
                ++ctx_->counters.control_messages;
                apply(std::move(msg_));
            } else if (r == pull::error) {
                ctx_->report(error_kind::control_source, control_.error());
            } else {
                break;
            }
        }
    }

    void apply(control_type&& msg) {
        key_type key = std::invoke(control_key_, std::as_const(msg));
        auto it = table_.find(key);
        const bool created = it == table_.end();
        if (created && table_.size() >= opts_.max_keys) {
            record_error e;
            e.source = opts_.name;
            e.where = "key '" + detail::key_text(key) + "'";
            e.message = "update for a new key refused: the join already holds state for max_keys (" +
                        std::to_string(opts_.max_keys) + ") keys";
            ctx_->report(error_kind::rejected_update, e);
            return;
        }
        if (created) it = table_.emplace(key, State{}).first;
        update_result r = detail::apply_update(update_, it->second, std::move(msg));
        if (!r.accepted) {
            if (created) {
                if (cached_ == &it->second) cached_ = nullptr;
                table_.erase(it);
            }
            record_error e;
            e.source = opts_.name;
            e.where = "key '" + detail::key_text(key) + "'";
            e.message = r.reason.empty() ? std::string("update rejected") : r.reason;
            ctx_->report(error_kind::rejected_update, e);
            return;
        }
        if (!held_.empty()) release_held();
    }

    // Passes on, in arrival order, every held record whose key now has state.
    void release_held() {
        std::deque<In> still_held;
        while (!held_.empty()) {
            In x = std::move(held_.front());
            held_.pop_front();
            State* s = find(std::invoke(data_key_, std::as_const(x)));
            if (s) {
                --ctx_->counters.held;
                next_.push(output_type{x, s, unjoined_reason::none, {}});
            } else {
                still_held.push_back(std::move(x));
            }
        }
        held_.swap(still_held);
    }

    void emit_unjoined(In&& x, unjoined_reason why, std::string key) {
        unjoined_key_ = std::move(key);
        next_.push(output_type{x, nullptr, why, unjoined_key_});
    }

    template <class K>
    void on_dropped(const K& key) {
        if constexpr (detail::has_dropped_hook<Update, K>::value) update_.on_dropped(key);
    }

    Control control_;
    Update update_;
    DataKey data_key_;
    ControlKey control_key_;
    join_options opts_;
    Next next_;
    pipeline_context* ctx_;
    std::map<key_type, State, std::less<>> table_;
    std::deque<In> held_;
    std::size_t until_check_ = 1;  // records until the next control check
    control_type msg_{};
    const key_type* cached_key_ = nullptr;
    State* cached_ = nullptr;
    std::string unjoined_key_;  // what Joined::key of an unjoined record refers to
};

template <class State, class Control, class Update, class DataKey, class ControlKey>
struct join_op : guarded_operator<join_op<State, Control, Update, DataKey, ControlKey>> {
    Control control;
    Update update;
    DataKey data_key;
    ControlKey control_key;
    join_options opts;

    template <class In>
    using output = Joined<In, State>;

    template <class In, class Next>
    auto make_valid(Next next, pipeline_context& ctx) {
        using C = typename Control::value_type;
        static_assert(std::is_default_constructible_v<State>,
                      "scorestream::join<State>: State must be default-constructible");
        static_assert(std::is_invocable_v<Update&, State&, C&&>,
                      "scorestream::join: the update function must be callable as update(State&, Control&&) "
                      "and return void, bool or update_result");
        static_assert(std::is_invocable_v<DataKey&, const In&>,
                      "scorestream::join: the data key function must be callable with `const Record&`");
        return join_stage<In, State, Control, Update, DataKey, ControlKey, Next>(
            std::move(control), std::move(update), std::move(data_key), std::move(control_key),
            std::move(opts), std::move(next), ctx);
    }
};

/// An unkeyed join: one State shared by all records.
template <class State, class Control, class Update, std::enable_if_t<is_source_v<Control>, int> = 0>
auto join(Control control, Update update, join_options opts = {}) {
    static_assert(is_source_v<Control>, "scorestream::join: the control argument must be a source");
    return join_op<State, Control, Update, unkeyed, unkeyed>{{}, std::move(control), std::move(update), {},
                                                             {}, std::move(opts)};
}

/// A keyed join: state per key; key_by(data_key, control_key) tells each side's key.
template <class State, class Control, class Update, class DK, class CK>
auto join(Control control, Update update, key_by_t<DK, CK> keys, join_options opts = {}) {
    static_assert(is_source_v<Control>, "scorestream::join: the control argument must be a source");
    return join_op<State, Control, Update, DK, CK>{{},
                                                   std::move(control),
                                                   std::move(update),
                                                   std::move(keys.data),
                                                   std::move(keys.control),
                                                   std::move(opts)};
}

}  // namespace scorestream
