namespace Wuerstchen.Rng;

/// <summary>bfloat16 values as their 16-bit patterns (the upper half of a float32), converted like c10::BFloat16.</summary>
public static class BFloat16Bits
{
    /// <summary>Round to nearest even, NaN → 0x7FC0 (c10's round_to_nearest_even).</summary>
    public static ushort FromSingle(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = ((bits >> 16) & 1) + 0x7FFF;
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Rounds a float to the nearest bfloat16 and back.</summary>
    public static float Round(float value) => ToSingle(FromSingle(value));
}
