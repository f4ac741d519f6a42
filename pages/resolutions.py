import streamlit as st

st.title("Resolutions")
st.info("This page is being built.")
