// The vector table of QEMU's mps2-an385 board (ARM AN385: a Cortex-M3 with
// 32 external interrupts). Every handler is a weak alias: a program
// defines the one it needs by name, e.g.
//   extern "C" void TIMER0_IRQHandler() { ... }
// and an interrupt nobody handles stops the program with a message
// (cortex_m_faults.cpp) instead of hanging.
// IRQ numbers as QEMU's hw/arm/mps2.c wires them: UART n RX/TX, CMSDK APB
// timers 0 and 1 at 0x40000000 and 0x40001000 (IRQ 8 and 9), the dual
// timer at 0x40002000 (IRQ 10), the combined UART overflow (12), ethernet (13).
#include <cstdint>

extern "C" {
[[noreturn]] void Reset_Handler() noexcept;
extern char __stack_top[];

// What every handler below is unless the program defines it: reports the
// exception (cortex_m_faults.cpp; a branch keeps lr, which tells it the stack).
[[gnu::naked]] void asyncio_board_default_handler() noexcept { asm("b asyncio_cortex_m_unhandled_exception"); }

#define ASYNCIO_WEAK_HANDLER(name) void name() noexcept __attribute__((weak, alias("asyncio_board_default_handler")))
ASYNCIO_WEAK_HANDLER(NMI_Handler);
ASYNCIO_WEAK_HANDLER(HardFault_Handler);
ASYNCIO_WEAK_HANDLER(MemManage_Handler);
ASYNCIO_WEAK_HANDLER(BusFault_Handler);
ASYNCIO_WEAK_HANDLER(UsageFault_Handler);
ASYNCIO_WEAK_HANDLER(SVC_Handler);
ASYNCIO_WEAK_HANDLER(DebugMon_Handler);
ASYNCIO_WEAK_HANDLER(PendSV_Handler);
ASYNCIO_WEAK_HANDLER(SysTick_Handler);
ASYNCIO_WEAK_HANDLER(UART0RX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART0TX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART1RX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART1TX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART2RX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART2TX_IRQHandler);
ASYNCIO_WEAK_HANDLER(IRQ6_Handler);
ASYNCIO_WEAK_HANDLER(IRQ7_Handler);
ASYNCIO_WEAK_HANDLER(TIMER0_IRQHandler);
ASYNCIO_WEAK_HANDLER(TIMER1_IRQHandler);
ASYNCIO_WEAK_HANDLER(DUALTIMER_IRQHandler);
ASYNCIO_WEAK_HANDLER(IRQ11_Handler);
ASYNCIO_WEAK_HANDLER(UARTOVF_IRQHandler);
ASYNCIO_WEAK_HANDLER(ETHERNET_IRQHandler);
ASYNCIO_WEAK_HANDLER(IRQ14_Handler);
ASYNCIO_WEAK_HANDLER(IRQ15_Handler);
ASYNCIO_WEAK_HANDLER(IRQ16_Handler);
ASYNCIO_WEAK_HANDLER(IRQ17_Handler);
ASYNCIO_WEAK_HANDLER(UART3RX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART3TX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART4RX_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART4TX_IRQHandler);
ASYNCIO_WEAK_HANDLER(IRQ22_Handler);
ASYNCIO_WEAK_HANDLER(IRQ23_Handler);
ASYNCIO_WEAK_HANDLER(IRQ24_Handler);
ASYNCIO_WEAK_HANDLER(IRQ25_Handler);
ASYNCIO_WEAK_HANDLER(IRQ26_Handler);
ASYNCIO_WEAK_HANDLER(IRQ27_Handler);
ASYNCIO_WEAK_HANDLER(IRQ28_Handler);
ASYNCIO_WEAK_HANDLER(IRQ29_Handler);
ASYNCIO_WEAK_HANDLER(IRQ30_Handler);
ASYNCIO_WEAK_HANDLER(IRQ31_Handler);
#undef ASYNCIO_WEAK_HANDLER

using Vector = void (*)();

// Named by the linker script (EXTERN), kept by its section (KEEP).
extern const Vector asyncio_vector_table[16 + 32];
[[gnu::section(".isr_vector"), gnu::used]] const Vector asyncio_vector_table[16 + 32] = {
    reinterpret_cast<Vector>(__stack_top),  // initial main stack pointer
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    SVC_Handler,
    DebugMon_Handler,
    nullptr,
    PendSV_Handler,
    SysTick_Handler,
    // External interrupts 0..31.
    UART0RX_IRQHandler,
    UART0TX_IRQHandler,
    UART1RX_IRQHandler,
    UART1TX_IRQHandler,
    UART2RX_IRQHandler,
    UART2TX_IRQHandler,
    IRQ6_Handler,
    IRQ7_Handler,
    TIMER0_IRQHandler,
    TIMER1_IRQHandler,
    DUALTIMER_IRQHandler,
    IRQ11_Handler,
    UARTOVF_IRQHandler,
    ETHERNET_IRQHandler,
    IRQ14_Handler,
    IRQ15_Handler,
    IRQ16_Handler,
    IRQ17_Handler,
    UART3RX_IRQHandler,
    UART3TX_IRQHandler,
    UART4RX_IRQHandler,
    UART4TX_IRQHandler,
    IRQ22_Handler,
    IRQ23_Handler,
    IRQ24_Handler,
    IRQ25_Handler,
    IRQ26_Handler,
    IRQ27_Handler,
    IRQ28_Handler,
    IRQ29_Handler,
    IRQ30_Handler,
    IRQ31_Handler,
};
}
