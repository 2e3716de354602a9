// libFuzzer target for the regular-expression engine of the PMML evaluator (src/pmml/regex.hpp).
// Input: one flag byte ('i': case-insensitive), then the pattern up to the first newline, then
// the text (newlines in a pattern are written \n). A pattern either compiles or is refused with a message; a
// compiled one then searches, iterates and replaces over the text. Every span must lie inside the text and
// iteration must move forward; anything else (a crash, a sanitizer report, a hang, a broken invariant) is a
// bug.

#include "regex.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok) {
    if (!ok) std::abort();  // the fuzzer reports the input
}

void check_spans(const scorestream::pmml::detail::RegexSpan* s, std::size_t n, std::size_t text_size) {
    check(s[0].matched());
    for (std::size_t g = 0; g < n; ++g) {
        if (!s[g].matched()) {
            check(s[g].end == scorestream::pmml::detail::RegexSpan::npos);
            continue;
        }
        check(s[g].begin <= s[g].end && s[g].end <= text_size);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace scorestream::pmml::detail;
    if (size == 0) return 0;
    bool icase = data[0] == 'i';
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    std::size_t eol = rest.find('\n');
    std::string_view pattern = rest.substr(0, eol);
    std::string_view text = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);

    Regex re;
    RegexError err;
    if (!re.compile(pattern, icase, err)) {
        check(err.kind != RegexError::Kind::none && !err.message.empty() && err.offset <= pattern.size());
        return 0;
    }
    check(err.kind == RegexError::Kind::none && re.groups() >= 1 && re.groups() <= Regex::max_groups + 1);

    RegexScratch scratch;
    std::vector<RegexSpan> spans(re.groups());
    bool found = re.search(text, 0, scratch, spans.data(), spans.size());
    check(found == re.contains(text, scratch));
    if (found) check_spans(spans.data(), spans.size(), text.size());
    RegexSpan first = found ? spans[0] : RegexSpan{};

    std::size_t count = 0, last_end = 0;
    re.for_each(text, scratch, spans.data(), spans.size(), [&](const RegexSpan* s) {
        check_spans(s, spans.size(), text.size());
        if (count == 0) check(s[0].begin == first.begin && s[0].end == first.end);
        check(s[0].begin >= last_end);
        last_end = s[0].end;
        return ++count <= text.size() + 1;
    });
    check(count <= text.size() + 1);
    check((count > 0) == found);

    std::string out;
    re.replace(text, "<$&|$1|$$|$`|$'|$99>", scratch, out);
    if (!found) check(out == text);
    return 0;
}
