// WASI has one thread, and libc++abi for wasm32-wasi has no
// __cxa_thread_atexit, which thread_local objects with destructors (the
// loop's per-thread state) register through. The only thread ends with the
// process, so its thread_local objects are destroyed at exit.
// (The C++ ABI's names, hence reserved identifiers.)
extern "C" int __cxa_atexit(void (*destructor)(void*), void* object,  // NOLINT(bugprone-reserved-identifier)
                            void* dso_handle);

extern "C" int __cxa_thread_atexit(void (*destructor)(void*), void* object,  // NOLINT(bugprone-reserved-identifier)
                                   void* dso_handle) {
  return __cxa_atexit(destructor, object, dso_handle);
}
