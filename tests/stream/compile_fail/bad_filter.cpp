// Must not compile: the predicate cannot take the element.
#include <scorestream/scorestream.hpp>
#include <string>
int main() {
    using namespace scorestream;
    auto p = from(std::vector<int>{1}) | filter([](const std::string& s) { return s.empty(); }) | sink([](int) {});
    p.run();
}
