import {expect} from 'chai'

import {parseNginxTime, parseProxyTimeouts} from '../../../src/lib/health/nginx.js'

describe('nginx idle timeouts', () => {
  it('reads nginx time syntax in seconds', () => {
    expect(parseNginxTime('60')).to.equal(60)
    expect(parseNginxTime('3600s')).to.equal(3600)
    expect(parseNginxTime('1h')).to.equal(3600)
    expect(parseNginxTime('1h 30m')).to.equal(5400)
    expect(parseNginxTime('500ms')).to.equal(0.5)
    expect(parseNginxTime('soon')).to.equal(undefined)
  })

  it('takes the shortest value of each directive, ignoring comments', () => {
    const config = `
      # proxy_read_timeout 5s;  (commented out)
      location / { proxy_read_timeout 1h; proxy_send_timeout 3600; }
      location /desktop/ { proxy_read_timeout 20m; }
    `
    expect(parseProxyTimeouts(config)).to.deep.equal({readSeconds: 1200, readSet: true, sendSeconds: 3600, sendSet: true})
  })

  it("falls back to nginx's 60 s default for a directive that is not set", () => {
    expect(parseProxyTimeouts('location / { proxy_pass http://kasm; }')).to.deep.equal({readSeconds: 60, readSet: false, sendSeconds: 60, sendSet: false})
  })
})
