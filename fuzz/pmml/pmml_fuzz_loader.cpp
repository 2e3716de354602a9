// libFuzzer target: any byte string given to pmml::load either compiles or throws a
// scorestream::error; a compiled model then scores records without crashing, and its
// ModelVerification block (if any) runs. Anything else (another exception type, a crash, a
// sanitizer report, a hang, a runaway allocation) is a bug.
//
// Input layout: a PMML document, optionally followed by the marker line "\n--records--\n" and
// record bytes. The record bytes (or, without the marker, the document's own bytes) drive the
// values of up to eight records: per input field one selector byte picks missing, a number (raw
// bits or an edge value such as NaN, infinities, -0, denormals, huge integers), a number carrying
// a text, one of the field's valid values, an invalid category, an empty string or a long string.
// A few fixed records (all missing, all 1.5, all "a", all -1e308, each valid value) always run.
//
// SCORESTREAM_FUZZ_MAX_TEXT (environment, bytes, default 4096) bounds the long strings.

#include <scorestream/error.hpp>
#include <scorestream/pmml/model.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace {

using scorestream::Value;

constexpr std::string_view records_marker = "\n--records--\n";
constexpr std::size_t max_records = 8;

std::size_t max_text() {
    static const std::size_t limit = [] {
        const char* s = std::getenv("SCORESTREAM_FUZZ_MAX_TEXT");
        long v = s ? std::strtol(s, nullptr, 10) : 0;
        return v > 0 ? static_cast<std::size_t>(v) : std::size_t{4096};
    }();
    return limit;
}

/// Reads bytes from the record part; yields zeros once it is used up.
class Bytes {
public:
    explicit Bytes(std::string_view s) : s_(s) {}
    bool empty() const { return at_ >= s_.size(); }
    std::uint8_t byte() { return at_ < s_.size() ? static_cast<std::uint8_t>(s_[at_++]) : 0; }
    std::uint64_t word(int n) {
        std::uint64_t w = 0;
        for (int i = 0; i < n; ++i) w = w << 8 | byte();
        return w;
    }
    std::string_view take(std::size_t n) {
        n = std::min(n, s_.size() - std::min(at_, s_.size()));
        auto r = s_.substr(std::min(at_, s_.size()), n);
        at_ += n;
        return r;
    }

private:
    std::string_view s_;
    std::size_t at_ = 0;
};

double edge_number(std::uint8_t k) {
    static const double edges[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.5,
                                   2.0,
                                   1e308,
                                   -1e308,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN(),
                                   std::numeric_limits<double>::denorm_min(),
                                   std::numeric_limits<double>::min(),
                                   std::numeric_limits<double>::epsilon(),
                                   9007199254740993.0,
                                   -2147483649.0,
                                   4294967296.0,
                                   1e-300,
                                   255.0,
                                   3.0};
    return edges[k % (sizeof edges / sizeof edges[0])];
}

/// One record's values; `store` keeps the strings alive (reserved up front, never reallocated).
void make_record(Bytes& in, const scorestream::pmml::Description& d, std::vector<Value>& row,
                 std::vector<std::string>& store) {
    for (std::size_t i = 0; i < row.size(); ++i) {
        const auto* values = i < d.inputs.size() ? &d.inputs[i].values : nullptr;
        std::uint8_t sel = in.byte();
        switch (sel % 10) {
            case 0:
                row[i] = Value::missing();
                break;
            case 1: {
                std::uint64_t bits = in.word(8);
                double x;
                std::memcpy(&x, &bits, sizeof x);
                row[i] = Value::number(x);
                break;
            }
            case 2:
            case 3:
                row[i] = Value::number(edge_number(in.byte()));
                break;
            case 4: {
                // A small integer, with its text (as a CSV reader would pass it).
                auto v = static_cast<int>(in.byte()) - 128;
                store.push_back(std::to_string(v));
                row[i] = Value::number(v, store.back());
                break;
            }
            case 5:
            case 6:
                if (values && !values->empty())
                    row[i] = Value::string((*values)[in.byte() % values->size()]);
                else
                    row[i] = Value::string("a");
                break;
            case 7:
                // Invalid category, or any short text: bytes of the input.
                store.emplace_back(in.take(in.byte() % 24));
                row[i] = Value::string(store.back());
                break;
            case 8:
                row[i] = Value::string("");
                break;
            case 9: {
                // A long string: a piece of the input repeated (words and blanks if the piece has them).
                std::size_t n = std::min<std::size_t>(in.word(2) * 4, max_text());
                std::string_view unit = in.take(1 + in.byte() % 16);
                std::string s;
                if (unit.empty()) unit = "ab ";
                while (s.size() < n) s.append(unit);
                store.push_back(std::move(s));
                row[i] = Value::string(store.back());
                break;
            }
        }
    }
}

/// Reads every byte of the answer, so a string pointing at freed memory shows up under ASan.
std::size_t touch(const scorestream::Prediction& p) {
    std::size_t sum = p.error.size();
    auto one = [&](const Value& v) {
        for (char ch : v.text()) sum += static_cast<unsigned char>(ch);
        if (v.is_number() && v.as_number() == v.as_number()) sum += 1;
    };
    one(p.value);
    for (const auto& v : p.outputs) one(v);
    return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace scorestream;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view text = input, record_bytes = input;
    if (auto at = input.find(records_marker); at != std::string_view::npos) {
        text = input.substr(0, at);
        record_bytes = input.substr(at + records_marker.size());
    }
    pmml::PmmlModelPtr model;
    try {
        pmml::LoadOptions options;
        options.max_depth = 200;
        model = pmml::load(text, options);
    } catch (const scorestream::error&) {
        return 0;
    }
    const auto& d = model->describe();
    const std::size_t n = model->schema().inputs.size();
    std::vector<Value> row(n);
    std::vector<std::string> store;
    store.reserve(n * 2 + 2);  // make_record adds at most one string per field: no reallocation
    Prediction p;
    volatile std::size_t sink = 0;
    auto score = [&] {
        model->score(FeatureRow(row.data(), row.size()), p);
        sink = sink + touch(p);
    };
    score();  // all missing
    for (auto& v : row) v = Value::number(1.5);
    score();
    for (auto& v : row) v = Value::string("a");
    score();
    for (auto& v : row) v = Value::number(-1e308);
    score();
    // Each valid value of each field in turn (at most 16 per field), the rest missing.
    for (std::size_t i = 0; i < n && i < d.inputs.size(); ++i) {
        std::fill(row.begin(), row.end(), Value::missing());
        const auto& values = d.inputs[i].values;
        for (std::size_t k = 0; k < values.size() && k < 16; ++k) {
            row[i] = Value::string(values[k]);
            score();
        }
    }
    Bytes in(record_bytes);
    for (std::size_t r = 0; r < max_records && !in.empty(); ++r) {
        store.clear();
        make_record(in, d, row, store);
        score();
    }
    if (d.has_verification) {
        auto report = model->verify();
        sink = sink + report.passed + report.mismatches.size();
    }
    return 0;
}
