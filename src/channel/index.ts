export type { RecordBatch, BarrierEvent, CancelBarrierEvent, EndOfInputEvent, WatermarkEvent, WatermarkStatusEvent, ChannelEvent, ChannelMessage } from './channel-message.js';
export type { ChannelSender, ChannelReceiver, ChannelPair, ChannelOptions } from './channel.js';
export { DEFAULT_CHANNEL_CREDITS } from './channel.js';
export { createMemoryChannel } from './memory-channel.js';
export { PortMultiplexer } from './port-multiplexer.js';
export type { PortLike, BatchPacking, PortFrame, PortMessage } from './port-multiplexer.js';
export { WebSocketPort, encodePortMessage, decodePortMessage } from './websocket-port.js';
export type { WebSocketLike } from './websocket-port.js';
export type { SpillSink } from './channel-spill.js';
