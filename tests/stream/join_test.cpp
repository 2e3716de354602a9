#include <catch2/catch.hpp>
#include <scorestream/scorestream.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

using namespace scorestream;

namespace {
// Data: (key, id). Control: (key, value). State: the latest value for the key.
using data_t = std::pair<std::string, int>;
using ctrl_t = std::pair<std::string, int>;

struct seen {
    int id;
    int state;  // -1 when unjoined
    unjoined_reason reason;
};

auto set_value = [](int& state, ctrl_t&& c) { state = c.second; };
auto keys = key_by([](const data_t& d) -> const std::string& { return d.first; },
                   [](const ctrl_t& c) { return c.first; });

template <class Pipeline>
void run_all(Pipeline& p) {
    while (!p.poll(1000).done) {
    }
}
}  // namespace

TEST_CASE("a control message takes effect for every record after it, in scripted order", "[stream][join]") {
    script<data_t, ctrl_t> s;
    s.data({"a", 1})
        .control({"a", 10})
        .data({"a", 2})
        .data({"a", 3})
        .control({"a", 20})
        .control({"b", 5})
        .data({"b", 4})
        .data({"a", 5})
        .control({"a", 30})
        .data({"a", 6});
    std::vector<seen> out;
    auto p =
        s.data_source() | join<int>(s.control_source(), set_value, keys) | sink([&](Joined<data_t, int>&& j) {
            out.push_back({j.record.second, j.state ? *j.state : -1, j.reason});
        });
    p.on_error([](error_kind, const record_error& e) { FAIL(e.to_string()); });
    run_all(p);
    REQUIRE(out.size() == 6);
    std::vector<std::pair<int, int>> got;
    for (auto& o : out) got.emplace_back(o.id, o.state);
    REQUIRE(got == std::vector<std::pair<int, int>>{{1, -1}, {2, 10}, {3, 10}, {4, 5}, {5, 20}, {6, 30}});
    REQUIRE(out[0].reason == unjoined_reason::no_state);
    REQUIRE(p.counters().control_messages == 4);
}

TEST_CASE("every interleaving of one update among records splits them exactly at the update",
          "[stream][join]") {
    for (int at = 0; at <= 6; ++at) {
        script<data_t, ctrl_t> s;
        s.control({"k", 0});
        for (int i = 0; i < 6; ++i) {
            if (i == at) s.control({"k", 1});
            s.data({"k", i});
        }
        if (at == 6) s.control({"k", 1});
        std::vector<int> states;
        auto p = s.data_source() | join<int>(s.control_source(), set_value, keys) |
                 sink([&](Joined<data_t, int>&& j) { states.push_back(*j.state); });
        run_all(p);
        REQUIRE(states.size() == 6);
        for (int i = 0; i < 6; ++i) REQUIRE(states[i] == (i < at ? 0 : 1));
    }
}

TEST_CASE("before-state policy drop counts what it drops", "[stream][join]") {
    script<data_t, ctrl_t> s;
    s.data({"a", 1}).data({"a", 2}).control({"a", 7}).data({"a", 3});
    join_options o;
    o.policy = before_state::drop;
    std::vector<int> ids;
    auto p = s.data_source() | join<int>(s.control_source(), set_value, keys, o) |
             sink([&](Joined<data_t, int>&& j) { ids.push_back(j.record.second); });
    run_all(p);
    REQUIRE(ids == std::vector<int>{3});
    REQUIRE(p.counters().dropped == 2);
}

TEST_CASE("before-state policy hold releases records in order when state arrives", "[stream][join]") {
    script<data_t, ctrl_t> s;
    s.data({"a", 1}).data({"b", 2}).data({"a", 3}).control({"a", 7}).data({"a", 4}).control({"b", 8}).data(
        {"b", 5});
    join_options o;
    o.policy = before_state::hold;
    std::vector<std::pair<int, int>> got;
    auto p =
        s.data_source() | join<int>(s.control_source(), set_value, keys, o) |
        sink([&](Joined<data_t, int>&& j) { got.emplace_back(j.record.second, j.state ? *j.state : -1); });
    run_all(p);
    REQUIRE(got == std::vector<std::pair<int, int>>{{1, 7}, {3, 7}, {4, 7}, {2, 8}, {5, 8}});
    REQUIRE(p.counters().held == 0);
}

TEST_CASE("a full hold buffer emits its oldest record unjoined; the end emits the rest", "[stream][join]") {
    script<data_t, ctrl_t> s;
    for (int i = 1; i <= 5; ++i) s.data({"a", i});
    join_options o;
    o.policy = before_state::hold;
    o.max_held = 2;
    std::vector<seen> out;
    auto p = s.data_source() | join<int>(s.control_source(), set_value, keys, o) |
             sink([&](Joined<data_t, int>&& j) {
                 out.push_back({j.record.second, -1, j.reason});
             });
    run_all(p);
    REQUIRE(out.size() == 5);
    REQUIRE(out[0].id == 1);
    REQUIRE(out[0].reason == unjoined_reason::hold_overflow);
    REQUIRE(out[1].id == 2);
    REQUIRE(out[2].id == 3);
    REQUIRE(out[2].reason == unjoined_reason::hold_overflow);
    REQUIRE(out[3].id == 4);
    REQUIRE(out[3].reason == unjoined_reason::ended_while_held);
    REQUIRE(out[4].id == 5);
}

TEST_CASE("a rejected update keeps the previous state and is reported", "[stream][join]") {
    script<data_t, ctrl_t> s;
    s.control({"a", 1}).data({"a", 1}).control({"a", -5}).data({"a", 2}).control({"z", -1}).data({"z", 3});
    auto positive_only = [](int& state, ctrl_t&& c) {
        if (c.second < 0) return reject("negative value " + std::to_string(c.second));
        state = c.second;
        return accept();
    };
    std::vector<std::string> errors;
    std::vector<std::pair<int, int>> got;
    auto p =
        s.data_source() | join<int>(s.control_source(), positive_only, keys) |
        sink([&](Joined<data_t, int>&& j) { got.emplace_back(j.record.second, j.state ? *j.state : -1); });
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::rejected_update);
        errors.push_back(e.to_string());
    });
    run_all(p);
    // The rejected first update for "z" leaves no state for it at all.
    REQUIRE(got == std::vector<std::pair<int, int>>{{1, 1}, {2, 1}, {3, -1}});
    REQUIRE(errors ==
            std::vector<std::string>{"join:key 'a': negative value -5", "join:key 'z': negative value -1"});
    REQUIRE(p.counters().rejected_updates == 2);
}

TEST_CASE("max_keys bounds the keys with state; updates of known keys still apply", "[stream][join]") {
    script<data_t, ctrl_t> s;
    s.control({"a", 1})
        .control({"b", 2})
        .control({"c", 3})  // a third key: refused
        .data({"c", 1})
        .control({"a", 10})  // a known key: applied
        .data({"a", 2})
        .data({"b", 3});
    join_options o;
    o.max_keys = 2;
    o.name = "rooms";
    std::vector<std::pair<int, int>> got;
    std::vector<std::string> errors;
    auto p =
        s.data_source() | join<int>(s.control_source(), set_value, keys, o) |
        sink([&](Joined<data_t, int>&& j) { got.emplace_back(j.record.second, j.state ? *j.state : -1); });
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::rejected_update);
        errors.push_back(e.to_string());
    });
    run_all(p);
    REQUIRE(got == std::vector<std::pair<int, int>>{{1, -1}, {2, 10}, {3, 2}});
    REQUIRE(errors == std::vector<std::string>{
                          "rooms:key 'c': update for a new key refused: the join already holds state for "
                          "max_keys (2) keys"});
    REQUIRE(p.counters().rejected_updates == 1);
    REQUIRE(p.counters().control_messages == 4);
}

TEST_CASE("an update function that throws is a rejection", "[stream][join]") {
    script<data_t, ctrl_t> s;
    s.control({"a", 1}).control({"a", 2}).data({"a", 1});
    auto throws_on_two = [](int& state, ctrl_t&& c) {
        if (c.second == 2) throw std::invalid_argument("two is not allowed");
        state = c.second;
    };
    std::vector<int> states;
    std::string error;
    auto p = s.data_source() | join<int>(s.control_source(), throws_on_two, keys) |
             sink([&](Joined<data_t, int>&& j) { states.push_back(*j.state); });
    p.on_error([&](error_kind, const record_error& e) { error = e.message; });
    run_all(p);
    REQUIRE(states == std::vector<int>{1});
    REQUIRE(error == "two is not allowed");
}

TEST_CASE("an unkeyed join shares one state; control_check_every batches checks", "[stream][join]") {
    control_queue<int> q;
    q.push(5);
    join_options o;
    o.control_check_every = 3;
    std::vector<int> states;
    auto p = from(std::vector<int>{1, 2, 3, 4, 5, 6}) |
             join<int>(
                 q.source(), [](int& s, int&& v) { s = v; }, o) |
             sink([&](Joined<int, int>&& j) { states.push_back(j.state ? *j.state : -1); });
    // Checks happen before records 3 and 6 (every 3rd), so records 1 and 2 see no state.
    p.poll(4);
    q.push(9);
    p.run();
    REQUIRE(states == std::vector<int>{-1, -1, 5, 5, 5, 9});
}

TEST_CASE("control sources that fail to read are reported and skipped", "[stream][join]") {
    struct bad_control {
        using value_type = int;
        int n = 0;
        record_error err{"ctl", "message 1", "truncated", ""};
        pull next(int& out) {
            ++n;
            if (n == 1) return pull::error;
            if (n == 2) {
                out = 42;
                return pull::item;
            }
            return pull::idle;
        }
        const record_error& error() const { return err; }
    };
    std::vector<int> states;
    int control_errors = 0;
    auto p = from(std::vector<int>{1, 2}) | join<int>(bad_control{}, [](int& s, int&& v) { s = v; }) |
             sink([&](Joined<int, int>&& j) { states.push_back(j.state ? *j.state : -1); });
    p.on_error([&](error_kind k, const record_error&) { control_errors += k == error_kind::control_source; });
    p.run();
    REQUIRE(states == std::vector<int>{42, 42});
    REQUIRE(control_errors == 1);
    REQUIRE(p.counters().control_errors == 1);
}

TEST_CASE("text keys that differ in one byte, of every length, each find their own state", "[stream][join]") {
    // Pairs of keys of the same length differing in one byte (first, middle or last), so the
    // one-entry key cache must compare every byte: runs of one key, then alternation.
    std::vector<std::string> all_keys;
    for (std::size_t n = 1; n <= 20; ++n) {
        std::string base;
        for (std::size_t i = 0; i < n; ++i) base += static_cast<char>('a' + i % 26);
        all_keys.push_back(base);
        for (std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
            std::string other = base;
            other[at] = 'Z';
            if (std::find(all_keys.begin(), all_keys.end(), other) == all_keys.end())
                all_keys.push_back(other);
        }
    }
    script<data_t, ctrl_t> s;
    for (std::size_t k = 0; k < all_keys.size(); ++k) s.control({all_keys[k], static_cast<int>(k)});
    int id = 0;
    std::vector<int> expected;
    for (std::size_t k = 0; k < all_keys.size(); ++k)
        for (int rep = 0; rep < 2; ++rep) {  // a run of two records of one key
            s.data({all_keys[k], id++});
            expected.push_back(static_cast<int>(k));
        }
    for (std::size_t k = 0; k + 1 < all_keys.size(); ++k)
        for (std::size_t j : {k, k + 1, k}) {  // alternation of neighbours (same length, one byte apart)
            s.data({all_keys[j], id++});
            expected.push_back(static_cast<int>(j));
        }
    std::vector<int> got;
    auto p = s.data_source() | join<int>(s.control_source(), set_value, keys) |
             sink([&](Joined<data_t, int>&& j) { got.push_back(j.state ? *j.state : -1); });
    p.on_error([](error_kind, const record_error& e) { FAIL(e.to_string()); });
    run_all(p);
    REQUIRE(got == expected);
}
