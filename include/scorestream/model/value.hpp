#pragma once
// Value and FeatureRow: how a model sees one record. A Value is a number, a string (categorical) or
// missing; it never owns memory, so building a row allocates nothing. Thread-safety: plain values.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace scorestream {

struct feature_binding;

class Value {
public:
    enum class Kind : std::uint8_t { missing, number, string };

    constexpr Value() noexcept = default;

    static constexpr Value missing() noexcept { return Value{}; }
    static constexpr Value number(double x) noexcept { return Value{Kind::number, x, {}}; }
    /// A number that was read from text; the text is kept for categorical use ("1" stays "1").
    static constexpr Value number(double x, std::string_view text) noexcept {
        return Value{Kind::number, x, text};
    }
    static constexpr Value string(std::string_view s) noexcept { return Value{Kind::string, 0.0, s}; }

    constexpr Kind kind() const noexcept { return kind_; }
    constexpr bool is_missing() const noexcept { return kind_ == Kind::missing; }
    constexpr bool is_number() const noexcept { return kind_ == Kind::number; }
    constexpr bool is_string() const noexcept { return kind_ == Kind::string; }

    /// The number; 0 unless is_number().
    constexpr double as_number() const noexcept { return number_; }
    /// The string for strings; the original text (possibly empty) for numbers read from text.
    constexpr std::string_view text() const noexcept { return text_; }

    friend bool operator==(const Value& a, const Value& b) noexcept {
        if (a.kind_ != b.kind_) return false;
        switch (a.kind_) {
            case Kind::missing:
                return true;
            case Kind::number:
                return a.number_ == b.number_;
            case Kind::string:
                return a.text_ == b.text_;
        }
        return false;
    }
    friend bool operator!=(const Value& a, const Value& b) noexcept { return !(a == b); }

private:
    friend struct feature_binding;  // rewrites only the numbers of a row it has made all numbers

    constexpr Value(Kind k, double x, std::string_view t) noexcept : kind_(k), number_(x), text_(t) {}

    Kind kind_ = Kind::missing;
    double number_ = 0.0;
    std::string_view text_;
};

/// A human-readable rendering, for reports and error messages (not for the hot path).
std::string to_string(const Value& v);

/// The inputs of one record as a model wants them: values in the order of the model's input
/// fields (ModelSchema::inputs). A view: the caller owns the storage.
class FeatureRow {
public:
    constexpr FeatureRow() noexcept = default;
    constexpr FeatureRow(const Value* data, std::size_t size) noexcept : data_(data), size_(size) {}

    constexpr std::size_t size() const noexcept { return size_; }
    constexpr const Value& operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr const Value* begin() const noexcept { return data_; }
    constexpr const Value* end() const noexcept { return data_ + size_; }

private:
    const Value* data_ = nullptr;
    std::size_t size_ = 0;
};

inline std::string to_string(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::missing:
            return "<missing>";
        case Value::Kind::string:
            return std::string(v.text());
        case Value::Kind::number:
            if (!v.text().empty()) return std::string(v.text());
            {
                char buf[32];
                auto r = std::to_chars(buf, buf + sizeof buf, v.as_number());
                return std::string(buf, r.ptr);
            }
    }
    return {};
}

}  // namespace scorestream
