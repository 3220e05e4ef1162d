// The translation unit that builds the tests' precompiled header
// (tests/CMakeLists.txt, ASYNCIO_TEST_PCH); it has nothing of its own.
