// The PMML regular-expression engine (src/pmml/regex.hpp) against std::regex (libstdc++) on the
// short texts PMML documents meet: tokenizing a 200-byte sentence, a `matches` of a simple
// pattern, a TextIndexNormalization row's replace.

#include "regex.hpp"

#include <benchmark/benchmark.h>

#include <regex>
#include <string>

namespace {

using scorestream::pmml::detail::Regex;
using scorestream::pmml::detail::RegexError;
using scorestream::pmml::detail::RegexScratch;
using scorestream::pmml::detail::RegexSpan;

// 200 bytes: words, blanks, a tab, dashes and punctuation.
const std::string sentence =
    "The well-known user interface is what they seemed to like: fast, simple and friendly - "
    "colours were clear,\tthe menus are short and the search is quick; users rated it 4.5 of 5 overall.";

Regex compiled(const char* pattern, bool icase = false) {
    Regex re;
    RegexError err;
    if (!re.compile(pattern, icase, err)) std::abort();
    return re;
}

void split_engine(benchmark::State& state, const char* pattern) {
    Regex re = compiled(pattern);
    RegexScratch scratch;
    RegexSpan m;
    for (auto _ : state) {
        std::size_t pieces = 0;
        re.for_each(sentence, scratch, &m, 1, [&](const RegexSpan*) { return ++pieces, true; });
        benchmark::DoNotOptimize(pieces);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sentence.size()));
}

void split_std(benchmark::State& state, const char* pattern) {
    std::regex re(pattern);
    for (auto _ : state) {
        std::size_t pieces = 0;
        for (std::sregex_iterator it(sentence.begin(), sentence.end(), re), end; it != end; ++it) ++pieces;
        benchmark::DoNotOptimize(pieces);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sentence.size()));
}

void BM_split_blanks_engine(benchmark::State& s) { split_engine(s, "\\s+"); }
void BM_split_blanks_std(benchmark::State& s) { split_std(s, "\\s+"); }
void BM_split_blanks_dash_engine(benchmark::State& s) { split_engine(s, "[\\s\\-]+"); }
void BM_split_blanks_dash_std(benchmark::State& s) { split_std(s, "[\\s\\-]+"); }
void BM_words_engine(benchmark::State& s) { split_engine(s, "\\b\\w\\w+\\b"); }
void BM_words_std(benchmark::State& s) { split_std(s, "\\b\\w\\w+\\b"); }

// `matches` of a simple pattern: a product code on a short field, and a word inside the sentence.
const std::string code = "AB-1234";

void BM_matches_code_engine(benchmark::State& state) {
    Regex re = compiled("^[A-Z]{2}-\\d{4}$");
    RegexScratch scratch;
    for (auto _ : state) benchmark::DoNotOptimize(re.contains(code, scratch));
}
void BM_matches_code_std(benchmark::State& state) {
    std::regex re("^[A-Z]{2}-\\d{4}$");
    for (auto _ : state) benchmark::DoNotOptimize(std::regex_search(code, re));
}
void BM_matches_word_engine(benchmark::State& state) {
    Regex re = compiled("colou?rs?");
    RegexScratch scratch;
    for (auto _ : state) benchmark::DoNotOptimize(re.contains(sentence, scratch));
}
void BM_matches_word_std(benchmark::State& state) {
    std::regex re("colou?rs?");
    for (auto _ : state) benchmark::DoNotOptimize(std::regex_search(sentence, re));
}

// A TextIndexNormalization row over the sentence (whole tokens, $1 keeps the blank).
const char* const row = "(^| )(?:is|are|seem(ed|s?)|were)(?= |$)";

void BM_replace_row_engine(benchmark::State& state) {
    Regex re = compiled(row);
    RegexScratch scratch;
    std::string out;
    for (auto _ : state) {
        out.clear();
        re.replace(sentence, "$1be", scratch, out);
        benchmark::DoNotOptimize(out.data());
    }
}
void BM_replace_row_std(benchmark::State& state) {
    std::regex re(row);
    std::string out;
    for (auto _ : state) {
        out.clear();
        std::regex_replace(std::back_inserter(out), sentence.begin(), sentence.end(), re, "$1be");
        benchmark::DoNotOptimize(out.data());
    }
}

}  // namespace

BENCHMARK(BM_split_blanks_engine);
BENCHMARK(BM_split_blanks_std);
BENCHMARK(BM_split_blanks_dash_engine);
BENCHMARK(BM_split_blanks_dash_std);
BENCHMARK(BM_words_engine);
BENCHMARK(BM_words_std);
BENCHMARK(BM_matches_code_engine);
BENCHMARK(BM_matches_code_std);
BENCHMARK(BM_matches_word_engine);
BENCHMARK(BM_matches_word_std);
BENCHMARK(BM_replace_row_engine);
BENCHMARK(BM_replace_row_std);
BENCHMARK_MAIN();
