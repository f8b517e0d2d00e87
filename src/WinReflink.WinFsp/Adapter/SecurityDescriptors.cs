using System.Buffers.Binary;

namespace WinReflink.WinFsp.Adapter;

/// <summary>
/// Self-relative security descriptors as bytes, without advapi32 (the host also runs in tests on Linux):
/// the length of one (the furthest end of its owner, group, SACL and DACL) and the descriptor given to
/// files that have none stored (made on Linux, or before any was set).
/// </summary>
internal static class SecurityDescriptors
{
    private const int HeaderSize = 20;
    private const ushort SelfRelative = 0x8000;
    private const ushort DaclPresent = 0x0004;
    private const ushort DaclProtected = 0x1000;
    private const uint FileAllAccess = 0x001F01FF;
    private const byte ObjectAndContainerInherit = 0x03;

    /// <summary>
    /// O:BAG:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;WD): memfs's default (winfsp.md 3.3) with
    /// inheritance, so files created under it get the same rights.
    /// </summary>
    public static readonly byte[] Default = BuildDefault();

    /// <summary>Size of a self-relative descriptor read from its header, or -1 when it is not one (or exceeds <paramref name="available"/>).</summary>
    public static int Length(ReadOnlySpan<byte> sd, int available = int.MaxValue)
    {
        if (sd.Length < HeaderSize || sd[0] != 1)
        {
            return -1;
        }
        ushort control = BinaryPrimitives.ReadUInt16LittleEndian(sd[2..]);
        if ((control & SelfRelative) == 0)
        {
            return -1;
        }
        long end = HeaderSize;
        for (int field = 0; field < 4; field++)
        {
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(sd[(4 + 4 * field)..]);
            if (offset == 0)
            {
                continue;
            }
            if (offset + 8 > (ulong)Math.Min(sd.Length, available))
            {
                return -1;
            }
            // Owner and group are SIDs (8 + 4 × sub-authorities); SACL and DACL are ACLs (AclSize at +2).
            long size = field < 2 ? 8 + 4 * sd[(int)offset + 1] : BinaryPrimitives.ReadUInt16LittleEndian(sd[((int)offset + 2)..]);
            end = Math.Max(end, offset + size);
        }
        return end > Math.Min(sd.Length, available) ? -1 : (int)end;
    }

    /// <summary>The length of a native self-relative descriptor, reading only what its header points at.</summary>
    public static unsafe int Length(nint sd)
    {
        if (sd == 0)
        {
            return -1;
        }
        var header = new ReadOnlySpan<byte>((void*)sd, HeaderSize);
        if (header[0] != 1 || (BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) & SelfRelative) == 0)
        {
            return -1;
        }
        long end = HeaderSize;
        for (int field = 0; field < 4; field++)
        {
            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(header[(4 + 4 * field)..]);
            if (offset == 0)
            {
                continue;
            }
            byte* p = (byte*)sd + offset;
            long size = field < 2 ? 8 + 4 * p[1] : BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(p + 2, 2));
            end = Math.Max(end, offset + size);
        }
        return end > 65536 ? -1 : (int)end;
    }

    /// <summary>Copies a native descriptor into managed bytes; null when it is not a self-relative descriptor.</summary>
    public static unsafe byte[]? Copy(nint sd)
    {
        int length = Length(sd);
        return length < 0 ? null : new ReadOnlySpan<byte>((void*)sd, length).ToArray();
    }

    private static byte[] BuildDefault()
    {
        byte[] system = Sid(5, 18);
        byte[] administrators = Sid(5, 32, 544);
        byte[] everyone = Sid(1, 0);
        byte[][] trustees = [system, administrators, everyone];
        int aclSize = 8 + trustees.Sum(s => 8 + s.Length);
        var sd = new byte[HeaderSize + administrators.Length * 2 + aclSize];
        int ownerOffset = HeaderSize, groupOffset = ownerOffset + administrators.Length, daclOffset = groupOffset + administrators.Length;
        sd[0] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(sd.AsSpan(2), SelfRelative | DaclPresent | DaclProtected);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(4), (uint)ownerOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(8), (uint)groupOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(16), (uint)daclOffset);
        administrators.CopyTo(sd, ownerOffset);
        administrators.CopyTo(sd, groupOffset);
        var acl = sd.AsSpan(daclOffset);
        acl[0] = 2;
        BinaryPrimitives.WriteUInt16LittleEndian(acl[2..], (ushort)aclSize);
        BinaryPrimitives.WriteUInt16LittleEndian(acl[4..], (ushort)trustees.Length);
        int at = 8;
        foreach (var sid in trustees)
        {
            acl[at] = 0; // ACCESS_ALLOWED_ACE_TYPE
            acl[at + 1] = ObjectAndContainerInherit;
            BinaryPrimitives.WriteUInt16LittleEndian(acl[(at + 2)..], (ushort)(8 + sid.Length));
            BinaryPrimitives.WriteUInt32LittleEndian(acl[(at + 4)..], FileAllAccess);
            sid.CopyTo(acl[(at + 8)..]);
            at += 8 + sid.Length;
        }
        return sd;
    }

    private static byte[] Sid(byte authority, params uint[] subAuthorities)
    {
        var sid = new byte[8 + 4 * subAuthorities.Length];
        sid[0] = 1;
        sid[1] = (byte)subAuthorities.Length;
        sid[7] = authority;
        for (int i = 0; i < subAuthorities.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(sid.AsSpan(8 + 4 * i), subAuthorities[i]);
        }
        return sid;
    }
}
