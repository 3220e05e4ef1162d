#include <cstdio>
int main() { std::puts("probe"); }
