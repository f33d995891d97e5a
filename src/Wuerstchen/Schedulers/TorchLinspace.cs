namespace Wuerstchen.Schedulers;

/// <summary>
/// <c>torch.linspace(start, end, steps)</c> in float32 exactly as PyTorch's AVX2 CPU kernel fills it.
/// step = (end − start)/(steps − 1) in float32; element i is start + step·i in the first half (i &lt; steps/2)
/// and end − step·(steps − 1 − i) in the second. The kernel, however, fills 16 elements at a time as two
/// 8-wide vectors: each vector evaluates that formula at its first index only and adds k·step for its other
/// lanes (also for lanes past the halfway point); only the last steps % 16 elements take the per-element formula.
/// The difference is visible from 17 steps on, e.g. at 12 of the 61 values of the prior's default 60-step schedule.
/// </summary>
internal static class TorchLinspace
{
    private const int VectorWidth = 8; // floats per AVX2 vector

    public static float[] Float32(float start, float end, int steps)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), $"linspace needs a non-negative number of steps, got {steps}.");
        var values = new float[steps];
        if (steps == 0) return values;
        if (steps == 1) { values[0] = start; return values; }

        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        float At(int i) => i < halfway ? start + step * i : end - step * (steps - i - 1);

        int idx = 0;
        for (; idx + 2 * VectorWidth <= steps; idx += 2 * VectorWidth)
        {
            for (int v = idx; v < idx + 2 * VectorWidth; v += VectorWidth)
            {
                float first = At(v);
                for (int k = 0; k < VectorWidth; k++) values[v + k] = first + k * step;
            }
        }
        for (; idx < steps; idx++) values[idx] = At(idx);
        return values;
    }
}
