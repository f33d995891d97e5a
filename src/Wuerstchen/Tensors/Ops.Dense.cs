namespace Wuerstchen.Tensors;

public static partial class Ops
{
    /// <summary>
    /// A contiguous version of an (optional) operand for the duration of a kernel call: the tensor itself when it
    /// already is contiguous, else a temporary copy that <see cref="Dispose"/> frees. Never disposes the caller's
    /// tensor (which may be a model weight).
    /// </summary>
    private readonly unsafe struct Dense : IDisposable
    {
        private readonly bool _copied;
        public Tensor? Tensor { get; }
        /// <summary>Pointer to the first element, or null for an absent operand.</summary>
        public float* Data => Tensor == null ? null : Tensor.Data;

        private Dense(Tensor? tensor, bool copied) { Tensor = tensor; _copied = copied; }

        public static Dense Of(Tensor? t) => t == null || t.IsContiguous ? new(t, false) : new(t.Clone(), true);

        /// <summary>Uses <paramref name="t"/> as it is (any strides); never disposes it.</summary>
        public static Dense Borrow(Tensor? t) => new(t, false);

        /// <summary>Takes a temporary tensor that <see cref="Dispose"/> frees.</summary>
        public static Dense Own(Tensor t) => new(t, true);

        public void Dispose()
        {
            if (_copied) Tensor!.Dispose();
        }
    }
}
