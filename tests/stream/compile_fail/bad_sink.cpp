// Must not compile: the sink takes a string, the stream carries ints.
#include <scorestream/scorestream.hpp>
#include <string>
int main() {
    using namespace scorestream;
    auto p = from(std::vector<int>{1}) | sink([](const std::string&) {});
    p.run();
}
