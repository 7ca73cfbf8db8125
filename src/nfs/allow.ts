import { BlockList, isIP } from 'node:net'
import { ShoalError } from '../errors.js'

/**
 * SHOAL_NFS_ALLOW: the CIDRs that may connect, IPv4 and IPv6. IPv4-mapped IPv6 peers
 * (::ffff:127.0.0.1, from a dual-stack listener) are checked as IPv4.
 */
export class AllowList {
  readonly #list = new BlockList()

  constructor (cidrs: string[]) {
    for (const c of cidrs) {
      const [addr = '', bits] = c.trim().split('/')
      const family = isIP(addr)
      if (family === 0) throw ShoalError.badConfig(`SHOAL_NFS_ALLOW: not an IP range: '${c}'`, 'use CIDRs such as 10.0.0.0/8,127.0.0.1/32,fd00::/8')
      const type = family === 4 ? 'ipv4' : 'ipv6'
      const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw ShoalError.badConfig(`SHOAL_NFS_ALLOW: bad prefix length in '${c}'`)
      this.#list.addSubnet(addr, prefix, type)
    }
  }

  allows (address: string | undefined): boolean {
    if (!address) return false
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
    const a = mapped ? mapped[1]! : address
    const family = isIP(a)
    if (family === 0) return false
    return this.#list.check(a, family === 4 ? 'ipv4' : 'ipv6')
  }
}
