// Must not compile: score() needs a model join before it.
#include <scorestream/scorestream.hpp>
int main() {
    using namespace scorestream;
    auto p = from(std::vector<int>{1}) | score() | sink([](const auto&) {});
    p.run();
}
