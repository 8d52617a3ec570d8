// ESM entry: the same objects as the CommonJS entry.
import pcmtap from './index.js'

export const { Capture, listDevices, defaultDevice, hosts, listApplications, watchDevices, codes, SLOT_BYTES } = pcmtap
export default pcmtap
