export type { RecordBatch, BarrierEvent, CancelBarrierEvent, EndOfInputEvent, WatermarkEvent, WatermarkStatusEvent, ChannelEvent, ChannelMessage } from './channel-message.js';
export type { ChannelSender, ChannelReceiver, ChannelPair, ChannelOptions } from './channel.js';
export { DEFAULT_CHANNEL_CREDITS } from './channel.js';
export { createMemoryChannel } from './memory-channel.js';
export { PortMultiplexer } from './port-multiplexer.js';
export type { PortLike, BatchPacking } from './port-multiplexer.js';
