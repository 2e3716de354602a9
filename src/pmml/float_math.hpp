#pragma once
// Arithmetic in the model's number type for x-mathContext="float" (JPMML's extension). The families
// that honour it write their per-record arithmetic once, as a template on T: double (the usual
// path, where every helper here is the plain operation and costs nothing) or float. With T = float
// every constant and input is rounded to float32 when it enters the computation, every sum,
// product and quotient is a float32 operation, and every elementary function (exp, log, pow, tanh,
// ...) is evaluated in double on the float argument and its value rounded to float32, which is how
// JPMML's float values compute them.

#include <cmath>

namespace scorestream::pmml::detail::fm {

/// A constant or an input, in T.
template <class T>
constexpr T num(double x) noexcept {
    return static_cast<T>(x);
}

// Elementary functions: computed in double, rounded to T.
template <class T>
T exp(T x) noexcept {
    return static_cast<T>(std::exp(static_cast<double>(x)));
}
template <class T>
T log(T x) noexcept {
    return static_cast<T>(std::log(static_cast<double>(x)));
}
template <class T>
T sqrt(T x) noexcept {
    return static_cast<T>(std::sqrt(static_cast<double>(x)));
}
template <class T>
T pow(T x, T y) noexcept {
    return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
}
template <class T>
T tanh(T x) noexcept {
    return static_cast<T>(std::tanh(static_cast<double>(x)));
}
template <class T>
T sin(T x) noexcept {
    return static_cast<T>(std::sin(static_cast<double>(x)));
}
template <class T>
T cos(T x) noexcept {
    return static_cast<T>(std::cos(static_cast<double>(x)));
}
template <class T>
T atan(T x) noexcept {
    return static_cast<T>(std::atan(static_cast<double>(x)));
}
template <class T>
T lgamma(T x) noexcept {
    return static_cast<T>(std::lgamma(static_cast<double>(x)));
}

}  // namespace scorestream::pmml::detail::fm
