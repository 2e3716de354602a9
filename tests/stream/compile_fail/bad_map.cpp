// Must not compile: map's function takes a string, the stream carries ints.
#include <scorestream/scorestream.hpp>
#include <string>
int main() {
    using namespace scorestream;
    auto p = from(std::vector<int>{1}) | map([](const std::string& s) { return s.size(); }) | sink([](std::size_t) {});
    p.run();
}
